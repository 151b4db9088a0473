// The ansible collector: the last ansible-playbook (or ansible-pull) run on
// this host, from the results its json stdout callback wrote to a file (see
// ansible_results.h): when the plays ran, the recap of the local host, and
// whether it was a --check run, in which case `changed` is drift.
#pragma once

#include <memory>
#include <string>

#include "collectors/collector.h"

namespace strata {

// Results files hold every task result (diffs, command output): allow the
// same 16 MiB as any host file, but refuse larger ones before reading them.
inline constexpr size_t kAnsibleMaxResultsBytes = 16 << 20;

struct AnsibleCollectorOptions {
  // Host path below --path.rootfs; empty: nothing is read, nothing reported.
  std::string results_file;
  // The host whose recap is reported; empty for the first of
  // AnsibleLocalHostNames(this host's name) that the recap has.
  std::string host;
  // This host's name; empty for gethostname().
  std::string hostname;
};

std::unique_ptr<CollectorModule> NewAnsibleCollectorModule();

// For tests: the collector with explicit options.
std::unique_ptr<Collector> NewAnsibleCollector(const CollectorContext& context,
                                               const AnsibleCollectorOptions& options);

}  // namespace strata
