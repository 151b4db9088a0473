// Prints the metric catalogue as Markdown; scripts/update-catalogue puts it
// into docs/metrics.md, and a test checks docs/metrics.md holds exactly this.
#include <iostream>

#include "collectors/registry.h"
#include "exporter/catalogue.h"

int main() {
  std::cout << strata::MetricCatalogueMarkdown(
      strata::MetricCatalogue(strata::AllCollectorModules()));
  return 0;
}
