// Metrics of the puppet collector that the shared strata_convergence_* ones
// do not cover: events, per-phase and per-type times, the run's status and
// the agent's disable lock.
#pragma once

#include "base/metric_spec.h"

namespace strata::puppet_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kEvents{
    "strata_puppet_events",
    MetricType::Gauge,
    "Events of Puppet's last run by status: total, success, failure, noop (changes a dry run or "
    "a noop resource would have made) and audit.",
    {"status"},
    "last_run_summary.yaml events"};
inline constexpr MetricSpec kChanges{"strata_puppet_changes",
                                     MetricType::Gauge,
                                     "Property changes Puppet's last run made.",
                                     {},
                                     "last_run_summary.yaml changes.total"};
inline constexpr MetricSpec kPhaseDuration{
    "strata_puppet_phase_duration_seconds",
    MetricType::Gauge,
    "Time Puppet's last run spent in each phase it times (fact_generation, node_retrieval, "
    "plugin_sync, config_retrieval, convert_catalog, catalog_application, ...). Phases overlap: "
    "catalog_application contains transaction_evaluation.",
    {"phase"},
    "last_run_summary.yaml time"};
inline constexpr MetricSpec kResourceTime{
    "strata_puppet_resource_time_seconds",
    MetricType::Gauge,
    "Time Puppet's last run spent evaluating the resources of each type (file, package, "
    "service, exec, ...).",
    {"type"},
    "last_run_summary.yaml time"};
inline constexpr MetricSpec kLastRunStatus{
    "strata_puppet_last_run_status",
    MetricType::Gauge,
    "The status Puppet gave its last run: 1 for the one it had, 0 for the others (changed, "
    "unchanged, failed).",
    {"status"},
    "last_run_report.yaml status"};
inline constexpr MetricSpec kNoopPending{
    "strata_puppet_noop_pending",
    MetricType::Gauge,
    "1 when Puppet's last run left changes undone as noop events (a --noop run, or resources "
    "marked noop): the host differs from its catalog.",
    {},
    "last_run_report.yaml noop_pending"};
inline constexpr MetricSpec kTransactionCompleted{
    "strata_puppet_transaction_completed",
    MetricType::Gauge,
    "1 when Puppet's last run evaluated its whole catalog, 0 when the transaction stopped early "
    "(which also fails the run).",
    {},
    "last_run_report.yaml transaction_completed"};
inline constexpr MetricSpec kCachedCatalogStatus{
    "strata_puppet_cached_catalog_status",
    MetricType::Gauge,
    "Whether Puppet's last run applied its cached catalog instead of a new one: 1 for the status "
    "it had, 0 for the others (not_used; explicitly_requested by --use_cached_catalog; "
    "on_failure, when no new catalog could be compiled or fetched, so the host is not converging "
    "to the current code whatever the run's status says).",
    {"status"},
    "last_run_report.yaml cached_catalog_status (its last line)"};
inline constexpr MetricSpec kEnvironmentInfo{
    "strata_puppet_environment_info",
    MetricType::Gauge,
    "The environment Puppet's last run converged in; always 1.",
    {"environment"},
    "last_run_summary.yaml application.converged_environment"};
inline constexpr MetricSpec kDisabledSince{
    "strata_puppet_disabled_since_timestamp_seconds",
    MetricType::Gauge,
    "When the Puppet agent was disabled (the modification time of its disable lock), in seconds "
    "since the epoch; absent while it is enabled.",
    {},
    "agent_disabled.lock (its mtime)"};
inline constexpr MetricSpec kDisabledInfo{
    "strata_puppet_disabled_info",
    MetricType::Gauge,
    "The message given to puppet agent --disable (at most 256 bytes); always 1, absent while the "
    "agent is enabled or the lock has no message.",
    {"message"},
    "agent_disabled.lock disabled_message"};

}  // namespace strata::puppet_metrics
