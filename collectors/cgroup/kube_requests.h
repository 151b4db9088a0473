// Kubernetes resource requests read back from the cgroups the kubelet and the
// OCI runtime wrote them into: CPU from v1 cpu.shares or v2 cpu.weight, memory
// from v2 memory.min or memory.low. Pure functions over numbers; thread-safe.
//
// The chain being inverted, for a CPU request of m millicores:
//   shares = max(2, m * 1024 / 1000)       kubelet MilliCPUToShares (integer division;
//                                          2 = MinShares, "no request")
//   v1:  cpu.shares = shares
//   v2:  cpu.weight = 1 + ((shares - 2) * 9999) / 262142
//                    for pod cgroups: kubelet getCPUWeight
//                    (pkg/kubelet/cm/cgroup_manager_linux.go); for container cgroups: the OCI
//                    runtime, with that same formula up to runc 1.3.1 and crun 1.22, but since
//                    runc 1.3.2/1.4 and crun 1.23 ceil(10^((L^2 + 125 L) / 612 - 7/34)), L =
//                    log2(shares) (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value).
// v1 is exact (the kubelet's own sharesToMilliCPU, ceil(shares * 1000 / 1024)).
// v2 is lossy: one weight step spans up to 26 millicores (linear) or 30
// (runc's newer mapping), so a weight gives back the middle of the millicore
// range that yields it, rounded to the millicore: at most 13 (linear) or 15
// millicores from the request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata {

// How a v2 cgroup's cpu.weight was computed from cpu.shares.
enum class WeightMapping {
  kLinear,     // kubelet getCPUWeight; runc before 1.3.2, crun before 1.23
  kQuadratic,  // runc 1.3.2 and later, crun 1.23 and later
};

// The weight `mapping` gives for v1 `shares` (2 to 262144; clamped).
uint64_t WeightForShares(uint64_t shares, WeightMapping mapping);

// The CPU request, in cores, that v1 `shares` stands for; nullopt for 2 or
// less (the kubelet's MinShares: BestEffort, or no CPU request).
std::optional<double> CpuRequestFromShares(uint64_t shares);

// The CPU request, in cores, that v2 `weight` stands for under `mapping`: the
// middle of the range of millicore requests that give that weight, rounded to
// the millicore. nullopt for a weight of 1 or less (what MinShares becomes:
// no request; under the linear mapping also any request up to 28 millicores)
// and above 10000.
std::optional<double> CpuRequestFromWeight(uint64_t weight, WeightMapping mapping);

// Which mapping the runtime used for the v2 weights of the containers of one
// pod: the one under which the containers' requests add up closer to the pod's
// request (the kubelet sets the pod's weight from the sum of its containers'
// requests, with the linear mapping). Linear when it cannot tell (no pod
// request, or a tie).
WeightMapping ContainerWeightMapping(std::optional<double> pod_request_cores,
                                     const std::vector<uint64_t>& container_weights);

// The memory request: memory.min, else memory.low (v2; the kubelet writes them
// with its MemoryQoS feature). nullopt when neither is set above 0.
std::optional<double> MemoryRequest(std::optional<uint64_t> memory_min,
                                    std::optional<uint64_t> memory_low);

// Whether the cgroup at `path`, identified as `kind`, is one the kubelet
// writes requests into: a pod, or a container under the kubepods root.
bool HoldsKubernetesRequests(absl::string_view path, absl::string_view kind);

// What one pod or container cgroup holds.
struct KubeCgroup {
  bool is_pod = false;                 // else a container, whose pod is its parent cgroup
  std::optional<uint64_t> cpu_shares;  // v1 cpu.shares
  std::optional<uint64_t> cpu_weight;  // v2 cpu.weight (used when there are no shares)
  std::optional<uint64_t> memory_min;  // v2 memory.min
  std::optional<uint64_t> memory_low;  // v2 memory.low
};

struct KubeRequests {
  std::optional<double> cpu_cores;
  std::optional<double> memory_bytes;
};

// The requests of pod and container cgroups, by path. Pods' v2 weights are
// read with the kubelet's linear mapping; the containers of one pod with the
// mapping ContainerWeightMapping picks for them, from the pod's request and
// the containers in `cgroups`.
std::map<std::string, KubeRequests> ResolveKubeRequests(
    const std::map<std::string, KubeCgroup>& cgroups);

}  // namespace strata
