// Gathers what the host's commitment totals need: the limits and Kubernetes
// requests of the reported cgroups, and those of their ancestors, read from
// the tree even when the path filters left an ancestor out (its limit bounds
// the reported cgroups below it all the same). Then adds them up with
// TopmostTotals. Not thread-safe only in that `problems` is appended to.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/host_fs.h"
#include "collectors/cgroup/cgroup_stats.h"
#include "collectors/cgroup/commitment.h"
#include "collectors/cgroup/kube_requests.h"
#include "collectors/cgroup/mounts.h"

namespace strata {

// One reported cgroup, as the collector read it.
struct ReportedAllocation {
  absl::string_view path;
  absl::string_view kind;
  const CgroupStats* stats;
};

struct HostCommitment {
  // Requests of the reported pod and container cgroups that have one, by path.
  std::map<std::string, KubeRequests> requests;
  CommitmentTotals totals;
};

// Reads each unreported ancestor's limits and CPU weight (ReadCgroupAllocation)
// and the memory protection of every pod and container cgroup involved
// (ReadMemoryProtection). An ancestor that vanished has no values; a file that
// cannot be read or parsed is added to `problems` and left out.
HostCommitment AssessHostCommitment(const HostFs& fs, const CgroupMounts& mounts,
                                    const std::vector<ReportedAllocation>& reported,
                                    std::vector<std::string>& problems);

}  // namespace strata
