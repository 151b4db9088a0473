#include "base/metric_spec.h"

#include <stdexcept>
#include <utility>

namespace strata {

FamilyBuilder::FamilyBuilder(const MetricSpec& spec) : spec_(spec) {
  family_.name = std::string(spec.name);
  family_.help = std::string(spec.help);
  family_.type = spec.type;
}

FamilyBuilder& FamilyBuilder::Add(double value,
                                  std::initializer_list<std::string_view> label_values) {
  const size_t want = spec_.label_count();
  if (label_values.size() != want) {
    throw std::logic_error(std::string(spec_.name) + ": " + std::to_string(label_values.size()) +
                           " label values given, " + std::to_string(want) + " expected");
  }
  prometheus::ClientMetric metric;
  metric.label.reserve(want);
  size_t i = 0;
  for (std::string_view label_value : label_values) {
    metric.label.push_back({std::string(spec_.labels[i++]), std::string(label_value)});
  }
  switch (spec_.type) {
    case prometheus::MetricType::Counter:
      metric.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      metric.gauge.value = value;
      break;
    default:
      metric.untyped.value = value;
      break;
  }
  family_.metric.push_back(std::move(metric));
  return *this;
}

FamilyBuilder& FamilyBuilder::AddWithExtraLabels(
    double value, std::initializer_list<std::string_view> label_values,
    const std::vector<std::pair<std::string, std::string>>& extra_labels) {
  Add(value, label_values);
  for (const auto& [name, label_value] : extra_labels) {
    family_.metric.back().label.push_back({name, label_value});
  }
  return *this;
}

void FamilyBuilder::EmitTo(std::vector<prometheus::MetricFamily>& out) {
  if (!family_.metric.empty()) out.push_back(std::move(family_));
  // A moved-from family is unspecified: start a fresh one from the spec.
  family_ = prometheus::MetricFamily{};
  family_.name = std::string(spec_.name);
  family_.help = std::string(spec_.help);
  family_.type = spec_.type;
}

std::string_view MetricTypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Untyped:
      return "untyped";
  }
  return "untyped";
}

}  // namespace strata
