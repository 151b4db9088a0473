// Metrics the exporter itself exposes: per-collector scrape outcome, build
// identity and the process metrics every Prometheus client library exposes.
#pragma once

#include "base/metric_spec.h"

namespace strata::exporter_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kScrapeCollectorSuccess{
    "strata_scrape_collector_success",
    MetricType::Gauge,
    "1 when the collector succeeded in this scrape; 0 when it failed, threw or overran the "
    "scrape deadline.",
    {"collector"},
    "the scrape itself"};

inline constexpr MetricSpec kScrapeCollectorDuration{
    "strata_scrape_collector_duration_seconds",
    MetricType::Gauge,
    "Time the collector took in this scrape; the time waited when it overran the deadline.",
    {"collector"},
    "the scrape itself"};

inline constexpr MetricSpec kInvalidUtf8Replacements{
    "strata_exposition_invalid_utf8_replacements_total",
    MetricType::Counter,
    "Ill-formed UTF-8 sequences in the collector's label values or HELP text (from host input "
    "such as cgroup directory names or file contents), each replaced with U+FFFD before "
    "serving, since the exporter started.",
    {"collector"},
    "the scrape itself"};

inline constexpr MetricSpec kBuildInfo{
    "strata_exporter_build_info",
    MetricType::Gauge,
    "Version and source revision of the running exporter; always 1.",
    {"version", "revision"},
    "the binary"};

inline constexpr MetricSpec kProcessCpuSeconds{"process_cpu_seconds_total",
                                               MetricType::Counter,
                                               "Total user and system CPU time spent in seconds.",
                                               {},
                                               "/proc/self/stat"};

inline constexpr MetricSpec kProcessResidentMemory{"process_resident_memory_bytes",
                                                   MetricType::Gauge,
                                                   "Resident memory size in bytes.",
                                                   {},
                                                   "/proc/self/stat"};

inline constexpr MetricSpec kProcessVirtualMemory{"process_virtual_memory_bytes",
                                                  MetricType::Gauge,
                                                  "Virtual memory size in bytes.",
                                                  {},
                                                  "/proc/self/stat"};

inline constexpr MetricSpec kProcessOpenFds{
    "process_open_fds", MetricType::Gauge, "Number of open file descriptors.", {}, "/proc/self/fd"};

inline constexpr MetricSpec kProcessMaxFds{"process_max_fds",
                                           MetricType::Gauge,
                                           "Maximum number of open file descriptors.",
                                           {},
                                           "/proc/self/limits"};

inline constexpr MetricSpec kProcessStartTime{
    "process_start_time_seconds",
    MetricType::Gauge,
    "Start time of the process since unix epoch in seconds.",
    {},
    "/proc/self/stat, /proc/stat"};

// In catalogue order.
inline constexpr const MetricSpec* kAll[] = {
    &kScrapeCollectorSuccess,  &kScrapeCollectorDuration,
    &kInvalidUtf8Replacements, &kBuildInfo,
    &kProcessCpuSeconds,       &kProcessResidentMemory,
    &kProcessVirtualMemory,    &kProcessOpenFds,
    &kProcessMaxFds,           &kProcessStartTime,
};

}  // namespace strata::exporter_metrics
