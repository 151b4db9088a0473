// The one table entry that describes a metric: name, type, help, labels and
// where its value comes from. Collectors build families only through these
// specs, so HELP text, label names and the catalogue in docs/metrics.md cannot
// drift apart.
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"

namespace strata {

inline constexpr size_t kMaxMetricLabels = 6;

struct MetricSpec {
  std::string_view name;
  prometheus::MetricType type;
  std::string_view help;
  // Label names in the order FamilyBuilder::Add takes their values; unused
  // trailing entries stay empty.
  std::array<std::string_view, kMaxMetricLabels> labels;
  // What the value is read from, for the catalogue (a host file, an API).
  std::string_view source;

  size_t label_count() const {
    size_t n = 0;
    while (n < labels.size() && !labels[n].empty()) ++n;
    return n;
  }
};

// Collects the samples of one family. Not thread-safe; one per scrape.
class FamilyBuilder {
 public:
  explicit FamilyBuilder(const MetricSpec& spec);

  // Adds one sample; label values follow the spec's label order. Throws
  // std::logic_error when the count differs: a programming error that the
  // scraper reports as a failed collector.
  FamilyBuilder& Add(double value, std::initializer_list<std::string_view> label_values = {});

  // As Add, with further labels whose names are only known at run time (an
  // allow-list from a flag); the catalogue entry of the spec says so.
  FamilyBuilder& AddWithExtraLabels(
      double value, std::initializer_list<std::string_view> label_values,
      const std::vector<std::pair<std::string, std::string>>& extra_labels);

  bool empty() const { return family_.metric.empty(); }

  // Room for `samples` samples, for a collector that knows how many it adds.
  FamilyBuilder& Reserve(size_t samples) {
    family_.metric.reserve(samples);
    return *this;
  }

  // Moves the family into `out` unless it has no samples; the builder is
  // empty afterwards.
  void EmitTo(std::vector<prometheus::MetricFamily>& out);

 private:
  const MetricSpec& spec_;
  prometheus::MetricFamily family_;
};

// "counter", "gauge", ... as in the exposition's TYPE line.
std::string_view MetricTypeName(prometheus::MetricType type);

}  // namespace strata
