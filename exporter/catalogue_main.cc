// Prints the metric catalogue as Markdown; scripts/update-catalogue puts it
// into README.md, and a test checks README.md holds exactly this.
#include <iostream>

#include "collectors/registry.h"
#include "exporter/catalogue.h"

int main() {
  std::cout << strata::MetricCatalogueMarkdown(
      strata::MetricCatalogue(strata::AllCollectorModules()));
  return 0;
}
