#include "collectors/common/convergence_metrics.h"

namespace strata {

void EmitConvergenceRun(std::string_view tool, const ConvergenceRun& run,
                        std::vector<prometheus::MetricFamily>& out) {
  namespace m = convergence_metrics;
  auto gauge = [&](const MetricSpec& spec, const std::optional<double>& value) {
    if (value.has_value()) FamilyBuilder(spec).Add(*value, {tool}).EmitTo(out);
  };
  auto flag = [](const std::optional<bool>& value) -> std::optional<double> {
    if (!value.has_value()) return std::nullopt;
    return *value ? 1.0 : 0.0;
  };
  gauge(m::kLastRunTimestamp, run.timestamp_seconds);
  gauge(m::kLastRunSuccess, flag(run.success));
  gauge(m::kLastRunDuration, run.duration_seconds);
  gauge(m::kNoop, flag(run.noop));
  gauge(m::kAgentDisabled, flag(run.agent_disabled));
  FamilyBuilder resources(m::kResources);
  for (const auto& [state, count] : run.resources) resources.Add(count, {tool, state});
  resources.EmitTo(out);
  if (!run.config_version.empty()) {
    FamilyBuilder(m::kConfigVersionInfo).Add(1, {tool, run.config_version}).EmitTo(out);
  }
  if (!run.tool_version.empty()) {
    FamilyBuilder(m::kToolVersionInfo).Add(1, {tool, run.tool_version}).EmitTo(out);
  }
}

std::vector<const MetricSpec*> ConvergenceMetricSpecs() {
  namespace m = convergence_metrics;
  return {&m::kLastRunTimestamp,  &m::kLastRunSuccess, &m::kLastRunDuration,
          &m::kResources,         &m::kNoop,           &m::kAgentDisabled,
          &m::kConfigVersionInfo, &m::kToolVersionInfo};
}

}  // namespace strata
