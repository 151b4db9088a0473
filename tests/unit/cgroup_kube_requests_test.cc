#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "collectors/cgroup/kube_requests.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

// kubelet MilliCPUToShares, as the tests state the chain they invert.
uint64_t KubeletShares(int64_t millicores) {
  const int64_t shares = millicores * 1024 / 1000;
  return shares < 2 ? 2 : (shares > 262144 ? 262144 : static_cast<uint64_t>(shares));
}

TEST(WeightForShares, MatchesTheKubeletAndTheRuntimes) {
  struct Case {
    uint64_t shares;
    uint64_t linear;
    uint64_t quadratic;
  };
  // Linear: 1 + ((shares - 2) * 9999) / 262142 (kubelet getCPUWeight). Quadratic:
  // runc 1.3.2+/crun 1.23+; 2000 -> 170 and 77 are runc's own numbers (runc
  // issue 4896: "--cpu-shares 2000" gave 77 in v1.3.1 and 170 in v1.4.0-rc.1),
  // 1024 -> 100 is the point the new mapping was made to pass through.
  const Case cases[] = {
      {0, 1, 1},
      {2, 1, 1},
      {3, 1, 2},
      {102, 4, 17},
      {1024, 39, 100},
      {2000, 77, 170},
      {2048, 79, 174},
      {262143, 9999, 10000},
      {262144, 10000, 10000},
      {1000000, 10000, 10000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shares);
    EXPECT_EQ(WeightForShares(c.shares, WeightMapping::kLinear), c.linear);
    EXPECT_EQ(WeightForShares(c.shares, WeightMapping::kQuadratic), c.quadratic);
  }
}

TEST(CpuRequestFromShares, GivesBackTheKubeletsRequestExactly) {
  EXPECT_EQ(CpuRequestFromShares(1024), 1.0);
  EXPECT_EQ(CpuRequestFromShares(102), 0.1);
  EXPECT_EQ(CpuRequestFromShares(256), 0.25);
  // Every request the kubelet can tell apart from "none" (2m and less are
  // MinShares) comes back exactly.
  for (int64_t millicores = 3; millicores <= 256000; ++millicores) {
    std::optional<double> cores = CpuRequestFromShares(KubeletShares(millicores));
    ASSERT_TRUE(cores.has_value()) << millicores;
    ASSERT_EQ(std::llround(*cores * 1000), millicores);
  }
}

TEST(CpuRequestFromShares, SharesAboveTheKernelsMaximumAreItsMaximum) {
  EXPECT_EQ(CpuRequestFromShares(262144), 256.0);
  EXPECT_EQ(CpuRequestFromShares(UINT64_MAX), 256.0);
}

TEST(CpuRequestFromShares, MinSharesMeansNoRequest) {
  EXPECT_EQ(CpuRequestFromShares(2), std::nullopt);  // BestEffort, or no CPU request
  EXPECT_EQ(CpuRequestFromShares(1), std::nullopt);
  EXPECT_EQ(CpuRequestFromShares(0), std::nullopt);
}

TEST(CpuRequestFromWeight, IsTheMiddleOfTheRequestsThatGiveTheWeight) {
  // Weight 39 comes from 976m to 1000m (linear), so a 1-core pod reads 0.988.
  EXPECT_EQ(CpuRequestFromWeight(39, WeightMapping::kLinear), 0.988);
  EXPECT_EQ(CpuRequestFromWeight(100, WeightMapping::kQuadratic), 0.995);
  EXPECT_EQ(CpuRequestFromWeight(4, WeightMapping::kLinear), 0.092);
  EXPECT_EQ(CpuRequestFromWeight(17, WeightMapping::kQuadratic), 0.097);
}

// The loss of the integer mapping, measured over every request: at most 13
// millicores (linear) and 15 (quadratic), as the metric's help says.
TEST(CpuRequestFromWeight, IsWithinFifteenMillicoresOfEveryRequest) {
  struct Case {
    WeightMapping mapping;
    int64_t first_readable;  // smaller requests give weight 1, "none"
    int64_t max_error;
  };
  for (const Case& c :
       {Case{WeightMapping::kLinear, 29, 13}, Case{WeightMapping::kQuadratic, 3, 15}}) {
    int64_t worst = 0;
    for (int64_t millicores = c.first_readable; millicores <= 256000; ++millicores) {
      const uint64_t weight = WeightForShares(KubeletShares(millicores), c.mapping);
      std::optional<double> cores = CpuRequestFromWeight(weight, c.mapping);
      ASSERT_TRUE(cores.has_value()) << millicores;
      worst = std::max<int64_t>(worst, std::abs(std::llround(*cores * 1000) - millicores));
    }
    EXPECT_EQ(worst, c.max_error);
  }
}

TEST(CpuRequestFromWeight, WeightOneAndOutOfRangeMeanNoRequest) {
  for (WeightMapping mapping : {WeightMapping::kLinear, WeightMapping::kQuadratic}) {
    EXPECT_EQ(CpuRequestFromWeight(0, mapping), std::nullopt);
    EXPECT_EQ(CpuRequestFromWeight(1, mapping), std::nullopt);
    EXPECT_EQ(CpuRequestFromWeight(10001, mapping), std::nullopt);
    EXPECT_EQ(CpuRequestFromWeight(UINT64_MAX, mapping), std::nullopt);
    EXPECT_TRUE(CpuRequestFromWeight(10000, mapping).has_value());
  }
  // Under the linear mapping a request of up to 28 millicores is weight 1 too.
  EXPECT_EQ(WeightForShares(KubeletShares(28), WeightMapping::kLinear), 1u);
  EXPECT_EQ(WeightForShares(KubeletShares(29), WeightMapping::kLinear), 2u);
}

TEST(ContainerWeightMapping, PicksTheMappingUnderWhichContainersAddUpToThePod) {
  // A pod of 1 core (weight 39 from the kubelet) with containers of 750m and 250m.
  const std::optional<double> pod = CpuRequestFromWeight(39, WeightMapping::kLinear);
  const std::vector<uint64_t> old_runc = {
      WeightForShares(KubeletShares(750), WeightMapping::kLinear),
      WeightForShares(KubeletShares(250), WeightMapping::kLinear), 1 /* pause */};
  const std::vector<uint64_t> new_runc = {
      WeightForShares(KubeletShares(750), WeightMapping::kQuadratic),
      WeightForShares(KubeletShares(250), WeightMapping::kQuadratic), 1};
  EXPECT_EQ(ContainerWeightMapping(pod, old_runc), WeightMapping::kLinear);
  EXPECT_EQ(ContainerWeightMapping(pod, new_runc), WeightMapping::kQuadratic);
  // No pod request to compare with: the kubelet's (and older runtimes') mapping.
  EXPECT_EQ(ContainerWeightMapping(std::nullopt, new_runc), WeightMapping::kLinear);
  EXPECT_EQ(ContainerWeightMapping(pod, {}), WeightMapping::kLinear);
}

TEST(MemoryRequest, IsMinElseLowAndNothingForZero) {
  EXPECT_EQ(MemoryRequest(268435456, 134217728), 268435456);
  EXPECT_EQ(MemoryRequest(0, 134217728), 134217728);
  EXPECT_EQ(MemoryRequest(std::nullopt, 134217728), 134217728);
  EXPECT_EQ(MemoryRequest(0, 0), std::nullopt);
  EXPECT_EQ(MemoryRequest(std::nullopt, std::nullopt), std::nullopt);
}

TEST(HoldsKubernetesRequests, PodsAndContainersUnderKubepodsOnly) {
  EXPECT_TRUE(HoldsKubernetesRequests("/kubepods/burstable/pod1234", "pod"));
  EXPECT_TRUE(
      HoldsKubernetesRequests("/kubepods.slice/a.slice/cri-containerd-x.scope", "container"));
  EXPECT_TRUE(HoldsKubernetesRequests("/kubepods/besteffort/pod1/abc", "container"));
  EXPECT_FALSE(HoldsKubernetesRequests("/system.slice/docker-abc.scope", "container"));
  EXPECT_FALSE(HoldsKubernetesRequests("/kubepods.slice/kubepods-burstable.slice", "slice"));
  EXPECT_FALSE(HoldsKubernetesRequests("/kubepods", "other"));
}

TEST(ResolveKubeRequests, V1SharesAreExactEverywhere) {
  std::map<std::string, KubeCgroup> cgroups;
  cgroups["/kubepods/burstable/podA"] = {true, 768, std::nullopt, std::nullopt, std::nullopt};
  cgroups["/kubepods/burstable/podA/c1"] = {false, 512, std::nullopt, std::nullopt, std::nullopt};
  cgroups["/kubepods/burstable/podA/c2"] = {false, 256, std::nullopt, std::nullopt, std::nullopt};
  cgroups["/kubepods/besteffort/podB"] = {true, 2, std::nullopt, std::nullopt, std::nullopt};
  std::map<std::string, KubeRequests> requests = ResolveKubeRequests(cgroups);
  EXPECT_EQ(requests["/kubepods/burstable/podA"].cpu_cores, 0.75);
  EXPECT_EQ(requests["/kubepods/burstable/podA/c1"].cpu_cores, 0.5);
  EXPECT_EQ(requests["/kubepods/burstable/podA/c2"].cpu_cores, 0.25);
  EXPECT_EQ(requests["/kubepods/besteffort/podB"].cpu_cores, std::nullopt);
  EXPECT_EQ(requests["/kubepods/burstable/podA"].memory_bytes, std::nullopt);
}

TEST(ResolveKubeRequests, V2ContainersFollowTheMappingTheirPodAgreesWith) {
  const std::string pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podX.slice";
  const uint64_t pod_weight = WeightForShares(KubeletShares(2000), WeightMapping::kLinear);
  for (WeightMapping runtime : {WeightMapping::kLinear, WeightMapping::kQuadratic}) {
    SCOPED_TRACE(runtime == WeightMapping::kLinear ? "linear" : "quadratic");
    std::map<std::string, KubeCgroup> cgroups;
    cgroups[pod] = {true, std::nullopt, pod_weight, 536870912, std::nullopt};
    cgroups[pod + "/cri-containerd-a.scope"] = {
        false, std::nullopt, WeightForShares(KubeletShares(1500), runtime), 402653184, 0};
    cgroups[pod + "/cri-containerd-b.scope"] = {
        false, std::nullopt, WeightForShares(KubeletShares(500), runtime), 0, 134217728};
    cgroups[pod + "/cri-containerd-pause.scope"] = {false, std::nullopt, 1, std::nullopt,
                                                    std::nullopt};
    std::map<std::string, KubeRequests> requests = ResolveKubeRequests(cgroups);
    EXPECT_NEAR(*requests[pod].cpu_cores, 2.0, 0.0135);
    EXPECT_NEAR(*requests[pod + "/cri-containerd-a.scope"].cpu_cores, 1.5, 0.0155);
    EXPECT_NEAR(*requests[pod + "/cri-containerd-b.scope"].cpu_cores, 0.5, 0.0155);
    EXPECT_EQ(requests[pod + "/cri-containerd-pause.scope"].cpu_cores, std::nullopt);
    EXPECT_EQ(requests[pod].memory_bytes, 536870912);
    EXPECT_EQ(requests[pod + "/cri-containerd-a.scope"].memory_bytes, 402653184);
    EXPECT_EQ(requests[pod + "/cri-containerd-b.scope"].memory_bytes, 134217728);
    EXPECT_EQ(requests[pod + "/cri-containerd-pause.scope"].memory_bytes, std::nullopt);
  }
}

}  // namespace
}  // namespace strata
