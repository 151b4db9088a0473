#include "exporter/catalogue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "exporter/exporter_metrics.h"

namespace strata {
namespace {

std::string Cell(std::string_view text) {
  return absl::StrReplaceAll(std::string(text), {{"|", "\\|"}, {"\n", " "}});
}

}  // namespace

std::vector<CatalogueEntry> MetricCatalogue(
    const std::vector<std::unique_ptr<CollectorModule>>& modules) {
  std::vector<CatalogueEntry> catalogue;
  for (const MetricSpec* spec : exporter_metrics::kAll) catalogue.push_back({"exporter", spec});
  for (const auto& module : modules) {
    for (const MetricSpec* spec : module->info().metrics) {
      // A spec several collectors share (strata_convergence_*) is one entry.
      auto same = std::find_if(catalogue.begin(), catalogue.end(),
                               [spec](const CatalogueEntry& e) { return e.spec == spec; });
      if (same != catalogue.end()) {
        absl::StrAppend(&same->collector, ", ", std::string(module->info().name));
      } else {
        catalogue.push_back({std::string(module->info().name), spec});
      }
    }
  }
  return catalogue;
}

std::string MetricCatalogueMarkdown(const std::vector<CatalogueEntry>& catalogue) {
  std::string out =
      "| Metric | Type | Labels | Help | Read from | Collector |\n"
      "|---|---|---|---|---|---|\n";
  for (const CatalogueEntry& entry : catalogue) {
    const MetricSpec& spec = *entry.spec;
    std::vector<std::string> labels;
    for (size_t i = 0; i < spec.label_count(); ++i) {
      labels.push_back(absl::StrCat("`", std::string(spec.labels[i]), "`"));
    }
    absl::StrAppend(&out, "| `", std::string(spec.name), "` | ",
                    std::string(MetricTypeName(spec.type)), " | ", absl::StrJoin(labels, ", "),
                    " | ", Cell(spec.help), " | ", Cell(spec.source), " | ", entry.collector,
                    " |\n");
  }
  return out;
}

}  // namespace strata
