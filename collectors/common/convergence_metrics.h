// Metrics every convergence collector (puppet, cfengine, ansible, chef)
// shares, labelled by tool, and the one function that emits them, so that
// every tool reports a run the same way.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/metric_spec.h"
#include "prometheus/metric_family.h"

namespace strata {

namespace convergence_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kLastRunTimestamp{
    "strata_convergence_last_run_timestamp_seconds",
    MetricType::Gauge,
    "When the tool's last run ended (or started, where the tool records only that), in seconds "
    "since the epoch. The report's age is time() minus this; it is not exported.",
    {"tool"},
    "the tool's last-run report"};
inline constexpr MetricSpec kLastRunSuccess{
    "strata_convergence_last_run_success",
    MetricType::Gauge,
    "1 when the tool's last run succeeded, 0 when it failed.",
    {"tool"},
    "the tool's last-run report"};
inline constexpr MetricSpec kLastRunDuration{"strata_convergence_last_run_duration_seconds",
                                             MetricType::Gauge,
                                             "How long the tool's last run took.",
                                             {"tool"},
                                             "the tool's last-run report"};
inline constexpr MetricSpec kResources{
    "strata_convergence_resources",
    MetricType::Gauge,
    "Resources of the last run by the tool's own state names (total, changed, failed, "
    "out_of_sync, ok, ...).",
    {"tool", "state"},
    "the tool's last-run report"};
inline constexpr MetricSpec kNoop{
    "strata_convergence_noop",
    MetricType::Gauge,
    "1 when the last run was a dry run (Puppet --noop, Ansible --check): then changes are drift.",
    {"tool"},
    "the tool's last-run report"};
inline constexpr MetricSpec kAgentDisabled{"strata_convergence_agent_disabled",
                                           MetricType::Gauge,
                                           "1 when the tool's agent is administratively disabled.",
                                           {"tool"},
                                           "the tool's disable lock"};
inline constexpr MetricSpec kConfigVersionInfo{
    "strata_convergence_config_version_info",
    MetricType::Gauge,
    "The configuration (catalog, policy) version the last run applied; always 1.",
    {"tool", "version"},
    "the tool's last-run report"};
inline constexpr MetricSpec kToolVersionInfo{
    "strata_convergence_tool_version_info",
    MetricType::Gauge,
    "The version of the tool that made the last run; always 1.",
    {"tool", "version"},
    "the tool's last-run report"};

}  // namespace convergence_metrics

// One run of a configuration-management tool, as far as its report tells.
struct ConvergenceRun {
  std::optional<double> timestamp_seconds;
  std::optional<bool> success;
  std::optional<double> duration_seconds;
  std::vector<std::pair<std::string, double>> resources;  // state -> count
  std::optional<bool> noop;
  std::optional<bool> agent_disabled;
  std::string config_version;
  std::string tool_version;
};

// Appends the strata_convergence_* families for `tool`; what the run leaves
// unknown has no series. The scraper merges the families of several tools.
void EmitConvergenceRun(std::string_view tool, const ConvergenceRun& run,
                        std::vector<prometheus::MetricFamily>& out);

// The specs above, for a collector's catalogue entry.
std::vector<const MetricSpec*> ConvergenceMetricSpecs();

}  // namespace strata
