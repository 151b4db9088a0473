// The puppet collector: the last run of a Puppet agent (or of puppet apply)
// and whether the agent is disabled, from the files Puppet leaves on the host,
// so a silent, disabled, failing or drifting host is visible from the host
// itself. Quiet when none of the files exists.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "collectors/collector.h"

namespace strata {

// Host paths, read below --path.rootfs. Empty: the file in the first layout
// (AIO, then Debian) in which any of the three files exists.
struct PuppetCollectorOptions {
  std::string summary_file;
  std::string report_file;
  std::string disabled_lock_file;
};

// Where each layout keeps the files (`puppet config print lastrunfile
// lastrunreport agent_disabled_lockfile`).
struct PuppetLayout {
  const char* name;
  const char* summary_file;
  const char* report_file;
  const char* disabled_lock_file;
};
inline constexpr PuppetLayout kPuppetLayouts[] = {
    {"aio", "/opt/puppetlabs/puppet/public/last_run_summary.yaml",
     "/opt/puppetlabs/puppet/cache/state/last_run_report.yaml",
     "/opt/puppetlabs/puppet/cache/state/agent_disabled.lock"},
    {"debian", "/var/cache/puppet/public/last_run_summary.yaml",
     "/var/cache/puppet/state/last_run_report.yaml", "/var/cache/puppet/state/agent_disabled.lock"},
};

// Read caps. The summary is a few hundred bytes to a few KiB (one number per
// resource state, event status, phase and resource type). Of the report only
// the head and the tail are needed and read: Puppet writes status and noop in
// its first kilobyte and cached_catalog_status on its last line, around the
// logs and resource statuses that make a report of a large catalog tens of
// MiB (yaml-cpp takes seconds to parse such a report, and many times its size
// in memory to load it). The lock holds one message.
inline constexpr size_t kPuppetSummaryMaxBytes = 1 << 20;
inline constexpr size_t kPuppetReportHeadMaxBytes = 1 << 20;
// Of its end, only the keys after resource_statuses are needed; they take a
// few hundred bytes.
inline constexpr size_t kPuppetReportTailBytes = 16 << 10;
inline constexpr size_t kPuppetLockMaxBytes = 64 << 10;
// Longest label value taken from free text (disable message, config version).
inline constexpr size_t kPuppetMaxLabelBytes = 256;

std::unique_ptr<CollectorModule> NewPuppetCollectorModule();

// For tests: the collector with explicit options.
std::unique_ptr<Collector> NewPuppetCollector(const CollectorContext& context,
                                              const PuppetCollectorOptions& options);

}  // namespace strata
