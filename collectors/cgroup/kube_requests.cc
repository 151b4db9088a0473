#include "collectors/cgroup/kube_requests.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxShares = 262144;
constexpr uint64_t kMaxWeight = 10000;
// The largest request whose shares are below kMaxShares: 262144 * 1000 / 1024.
constexpr int64_t kMaxMillicores = 256000;

// kubelet MilliCPUToShares (pkg/kubelet/cm/helpers_linux.go).
uint64_t MillicoresToShares(int64_t millicores) {
  if (millicores <= 0) return kMinShares;
  const int64_t shares = millicores * 1024 / 1000;
  if (shares < static_cast<int64_t>(kMinShares)) return kMinShares;
  if (shares > static_cast<int64_t>(kMaxShares)) return kMaxShares;
  return static_cast<uint64_t>(shares);
}

uint64_t WeightOfMillicores(int64_t millicores, WeightMapping mapping) {
  return WeightForShares(MillicoresToShares(millicores), mapping);
}

// The smallest request whose weight is `weight` or more; kMaxMillicores + 1
// when there is none. The weight grows with the request, so a binary search.
int64_t FirstMillicoresReaching(uint64_t weight, WeightMapping mapping) {
  int64_t low = 0;
  int64_t high = kMaxMillicores + 1;
  while (low < high) {
    const int64_t middle = low + (high - low) / 2;
    if (WeightOfMillicores(middle, mapping) >= weight) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

}  // namespace

uint64_t WeightForShares(uint64_t shares, WeightMapping mapping) {
  if (shares <= kMinShares) return 1;
  if (shares >= kMaxShares) return kMaxWeight;
  if (mapping == WeightMapping::kLinear) return 1 + ((shares - 2) * 9999) / 262142;
  const double l = std::log2(static_cast<double>(shares));
  const double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

std::optional<double> CpuRequestFromShares(uint64_t shares) {
  if (shares <= kMinShares) return std::nullopt;
  shares = std::min(shares, kMaxShares);  // what the kernel clamps a write to
  // kubelet sharesToMilliCPU (pkg/kubelet/kuberuntime/helpers_linux.go): exact
  // for every value MilliCPUToShares makes.
  const uint64_t millicores = (shares * 1000 + 1023) / 1024;
  return static_cast<double>(millicores) / 1000;
}

std::optional<double> CpuRequestFromWeight(uint64_t weight, WeightMapping mapping) {
  if (weight <= 1 || weight > kMaxWeight) return std::nullopt;
  const int64_t first = FirstMillicoresReaching(weight, mapping);
  if (first > kMaxMillicores) return std::nullopt;
  const int64_t last = FirstMillicoresReaching(weight + 1, mapping) - 1;
  // A weight no request gives (a step of the mapping skipped it) stands for
  // the next request up.
  const int64_t middle_times_two = last >= first ? first + last : 2 * first;
  const int64_t millicores = (middle_times_two + 1) / 2;  // halves round up
  return static_cast<double>(millicores) / 1000;
}

WeightMapping ContainerWeightMapping(std::optional<double> pod_request_cores,
                                     const std::vector<uint64_t>& container_weights) {
  if (!pod_request_cores.has_value()) return WeightMapping::kLinear;
  double linear = 0;
  double quadratic = 0;
  for (uint64_t weight : container_weights) {
    linear += CpuRequestFromWeight(weight, WeightMapping::kLinear).value_or(0);
    quadratic += CpuRequestFromWeight(weight, WeightMapping::kQuadratic).value_or(0);
  }
  return std::abs(quadratic - *pod_request_cores) < std::abs(linear - *pod_request_cores)
             ? WeightMapping::kQuadratic
             : WeightMapping::kLinear;
}

std::optional<double> MemoryRequest(std::optional<uint64_t> memory_min,
                                    std::optional<uint64_t> memory_low) {
  if (memory_min.value_or(0) > 0) return static_cast<double>(*memory_min);
  if (memory_low.value_or(0) > 0) return static_cast<double>(*memory_low);
  return std::nullopt;
}

bool HoldsKubernetesRequests(absl::string_view path, absl::string_view kind) {
  if (kind == "pod") return true;
  if (kind != "container") return false;
  absl::ConsumePrefix(&path, "/");
  return absl::StartsWith(path, "kubepods");
}

std::map<std::string, KubeRequests> ResolveKubeRequests(
    const std::map<std::string, KubeCgroup>& cgroups) {
  std::map<std::string, KubeRequests> requests;
  // The v2 weights of the containers of each pod, by the pod's path.
  std::map<std::string, std::vector<uint64_t>> container_weights;
  auto parent_of = [](const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
  };
  for (const auto& [path, cgroup] : cgroups) {
    KubeRequests& request = requests[path];
    request.memory_bytes = MemoryRequest(cgroup.memory_min, cgroup.memory_low);
    if (cgroup.cpu_shares.has_value()) {
      request.cpu_cores = CpuRequestFromShares(*cgroup.cpu_shares);
    } else if (cgroup.cpu_weight.has_value()) {
      if (cgroup.is_pod) {
        request.cpu_cores = CpuRequestFromWeight(*cgroup.cpu_weight, WeightMapping::kLinear);
      } else {
        container_weights[parent_of(path)].push_back(*cgroup.cpu_weight);
      }
    }
  }
  std::map<std::string, WeightMapping> mappings;
  for (const auto& [pod, weights] : container_weights) {
    auto it = cgroups.find(pod);
    std::optional<double> pod_request;
    if (it != cgroups.end() && it->second.is_pod) pod_request = requests[pod].cpu_cores;
    mappings[pod] = ContainerWeightMapping(pod_request, weights);
  }
  for (const auto& [path, cgroup] : cgroups) {
    if (cgroup.is_pod || cgroup.cpu_shares.has_value() || !cgroup.cpu_weight.has_value()) continue;
    requests[path].cpu_cores = CpuRequestFromWeight(*cgroup.cpu_weight, mappings[parent_of(path)]);
  }
  return requests;
}

}  // namespace strata
