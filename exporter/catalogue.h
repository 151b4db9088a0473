// The metric catalogue: every metric the binary can expose, generated from
// the same MetricSpec tables the collectors build their families from.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/collector.h"

namespace strata {

struct CatalogueEntry {
  std::string collector;  // "exporter" for the exporter's own metrics
  const MetricSpec* spec;
};

std::vector<CatalogueEntry> MetricCatalogue(
    const std::vector<std::unique_ptr<CollectorModule>>& modules);

// The catalogue as the Markdown table docs/metrics.md carries.
std::string MetricCatalogueMarkdown(const std::vector<CatalogueEntry>& catalogue);

}  // namespace strata
