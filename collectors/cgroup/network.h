// Network I/O of containers and pods, read without entering a namespace.
//
// For each reported cgroup of kind container or pod, the first task of its
// cgroup.procs names a network namespace (the inode of /proc/PID/ns/net,
// read with readlink). A namespace other than the host's (/proc/1/ns/net,
// or the exporter's own when PID 1's may not be read) is read once, from
// that task's /proc/PID/net/dev, and reported on one cgroup only: a pod
// with no task of its own takes the first task of its first descendant with
// one, so a pod's namespace is reported on the pod, and otherwise the first
// cgroup in walk order (sorted paths) with a task in the namespace has it.
// lo is left out, as cAdvisor leaves it out.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/absence_log.h"
#include "base/host_fs.h"
#include "base/logging.h"
#include "collectors/cgroup/mounts.h"
#include "prometheus/metric_family.h"

namespace strata {

// A reported cgroup, as the network reader needs it.
struct NetworkCgroup {
  absl::string_view path;  // "/system.slice/docker-<id>.scope"
  absl::string_view kind;  // IdentifyCgroup's: only "container" and "pod" are read
};

// Not thread-safe: owned by the cgroup collector, which the scraper never
// runs twice at once.
class CgroupNetwork {
 public:
  // At most `max_interfaces` interfaces (lo not counted) per namespace, in
  // the kernel's order; the rest are counted as skipped (cap).
  CgroupNetwork(const HostFs& fs, const Logger& logger, int max_interfaces);

  // Appends the strata_cgroup_network_* families for `cgroups`, the reported
  // cgroups in walk order (sorted paths, so a pod comes before its
  // containers). A task that exits meanwhile or a namespace that may not be
  // read is counted in strata_cgroup_network_skipped, never an error; a file
  // that exists but cannot be read or parsed adds a line naming it to
  // `problems`, and the other namespaces are still reported.
  void Collect(const CgroupMounts& mounts, const std::vector<NetworkCgroup>& cgroups,
               std::vector<prometheus::MetricFamily>& out, std::vector<std::string>& problems);

 private:
  // The first PID of the cgroup's cgroup.procs in the first hierarchy (in
  // walk order: the v1 controllers, then the cgroup2 mount) that has the
  // cgroup; nullopt when it has no task. NotFound when no hierarchy has it.
  absl::StatusOr<std::optional<int>> FirstPid(const std::vector<HierarchyLocation>& hierarchies,
                                              absl::string_view cgroup) const;
  // The inode of /proc/<task>/ns/net, <task> a PID or "self".
  absl::StatusOr<uint64_t> NamespaceOf(absl::string_view task) const;

  const HostFs& fs_;
  const int max_interfaces_;
  AbsenceLog no_host_namespace_;
  AbsenceLog denied_;
};

}  // namespace strata
