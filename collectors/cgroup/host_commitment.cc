#include "collectors/cgroup/host_commitment.h"

#include <algorithm>
#include <set>
#include <utility>

#include "collectors/cgroup/identity.h"

namespace strata {
namespace {

CgroupAllocation AllocationOf(absl::string_view kind, const CgroupStats& stats) {
  CgroupAllocation allocation;
  allocation.kind = std::string(kind);
  allocation.cpu_limit_cores = stats.cpu_limit_cores;
  allocation.memory_limit_bytes = stats.memory_limit_bytes;
  allocation.memory_limit_covers_descendants = stats.memory_limit_covers_descendants;
  return allocation;
}

KubeCgroup KubeCgroupOf(absl::string_view kind, const CgroupStats& stats) {
  KubeCgroup cgroup;
  cgroup.is_pod = kind == "pod";
  cgroup.cpu_shares = stats.cpu_shares;
  // Without shares (v2) the weight is the file's; with them it is mapped from them.
  if (!stats.cpu_shares.has_value() && stats.cpu_weight.has_value()) {
    // The file held an integer, but any up to 2^64-1, which as a double may
    // not convert back: anything above the kernel's 10000 reads as no request.
    constexpr double kAboveMaxWeight = 10001;
    cgroup.cpu_weight = static_cast<uint64_t>(std::min(*stats.cpu_weight, kAboveMaxWeight));
  }
  return cgroup;
}

}  // namespace

HostCommitment AssessHostCommitment(const HostFs& fs, const CgroupMounts& mounts,
                                    const std::vector<ReportedAllocation>& reported,
                                    std::vector<std::string>& problems) {
  std::map<std::string, CgroupAllocation> allocations;
  std::map<std::string, KubeCgroup> kube;
  auto add = [&](const std::string& path, absl::string_view kind, const CgroupStats& stats) {
    if (HoldsKubernetesRequests(path, kind)) {
      CgroupStats protection;
      ReadMemoryProtection(fs, mounts, path, protection, problems);
      KubeCgroup& cgroup = kube[path] = KubeCgroupOf(kind, stats);
      cgroup.memory_min = protection.memory_min_bytes;
      cgroup.memory_low = protection.memory_low_bytes;
    }
    allocations[path] = AllocationOf(kind, stats);
  };
  for (const ReportedAllocation& cgroup : reported) {
    add(std::string(cgroup.path), cgroup.kind, *cgroup.stats);
  }
  for (const ReportedAllocation& cgroup : reported) {
    for (const std::string& ancestor : CgroupAncestors(cgroup.path)) {
      if (allocations.count(ancestor) > 0) continue;
      const std::string kind = IdentifyCgroup(ancestor).kind;
      absl::StatusOr<CgroupStats> stats = ReadCgroupAllocation(fs, mounts, ancestor, problems);
      // A vanished ancestor bounds nothing any more.
      add(ancestor, kind, stats.ok() ? *std::move(stats) : CgroupStats{});
    }
  }

  std::set<absl::string_view> reported_paths;
  for (const ReportedAllocation& cgroup : reported) reported_paths.insert(cgroup.path);
  HostCommitment commitment;
  for (auto& [path, request] : ResolveKubeRequests(kube)) {
    CgroupAllocation& allocation = allocations[path];
    allocation.cpu_request_cores = request.cpu_cores;
    allocation.memory_request_bytes = request.memory_bytes;
    // Only the reported cgroups get series of their own.
    const bool has_request = request.cpu_cores.has_value() || request.memory_bytes.has_value();
    if (has_request && reported_paths.count(path) > 0) commitment.requests[path] = request;
  }
  commitment.totals = TopmostTotals(allocations);
  return commitment;
}

}  // namespace strata
