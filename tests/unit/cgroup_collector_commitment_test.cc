// The cgroup collector's commitment totals and Kubernetes requests on fake
// v2 and v1 trees: what is read from where, what counts once, and what the
// filters change.
#include <sstream>

#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/cgroup/kube_requests.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/cgroup_collect.h"
#include "tests/support/exposition.h"
#include "tests/support/fake_host_fs.h"

namespace strata {
namespace {

using testing::FakeHostFs;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::SampleValue;

constexpr char kV2Mountinfo[] =
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";
constexpr char kV1Mountinfo[] =
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";

constexpr char kSlice[] = "/kubepods.slice";
constexpr char kPod[] =
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod0f6a1b2c_3d4e_5f60_7182_93a4b5c6d7e8.slice";
const std::string kContainer =
    std::string(kPod) +
    "/cri-containerd-6f0ac270500a8168818eebfd60cad28f5282b466656cf6372bbb68c6ffaca025.scope";
const std::string kPause =
    std::string(kPod) +
    "/cri-containerd-9121a9b7156bc544dc5b65f4fe42eaf9150cee5a1e5da6ea61ef134add67b3bf.scope";

class FakeHost {
 public:
  explicit FakeHost(const char* mountinfo) {
    fs_.AddFile(HostRoot::kProc, "1/mountinfo", mountinfo);
  }

  // Makes `path` in the hierarchy mounted at `mount` ("fs/cgroup", "fs/cgroup/cpu").
  void AddCgroup(const std::string& mount, const std::string& path) {
    fs_.AddDir(HostRoot::kSys, mount + path);
    fs_.AddFile(HostRoot::kSys, mount + path + "/cgroup.procs", "");
  }
  void Set(const std::string& mount, const std::string& path, const std::string& file,
           const std::string& value) {
    fs_.AddFile(HostRoot::kSys, mount + path + "/" + file, value + "\n");
  }

  std::pair<absl::Status, std::string> Collect(CgroupCollectorOptions options = {}) {
    testing::CgroupCollection c = testing::CollectCgroupsOnce(fs_, logger_, options);
    return {c.status, c.text};
  }

  FakeHostFs fs_;
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
};

// A v2 node with the kubelet's systemd layout: the kubepods slice limited to
// 4 cores and 8 GiB, a burstable pod of 1 core and 1 GiB, its container of 1
// core and 512 MiB, and the pod's pause container.
class V2KubeNode : public FakeHost {
 public:
  V2KubeNode() : FakeHost(kV2Mountinfo) {
    for (const std::string& path :
         {std::string(""), std::string(kSlice), std::string(kSlice) + "/kubepods-burstable.slice",
          std::string(kPod), kContainer, kPause}) {
      AddCgroup("fs/cgroup", path);
    }
    Set("fs/cgroup", kSlice, "cpu.max", "400000 100000");
    Set("fs/cgroup", kSlice, "memory.max", "8589934592");
    Set("fs/cgroup", kPod, "cpu.max", "100000 100000");
    Set("fs/cgroup", kPod, "memory.max", "1073741824");
    Set("fs/cgroup", kContainer, "cpu.max", "100000 100000");
    Set("fs/cgroup", kContainer, "memory.max", "536870912");
    // Requests: the pod 1500m (its container 1000m, the pause container none),
    // weights as the kubelet (pod) and an older runc (containers) write them.
    Set("fs/cgroup", kPod, "cpu.weight",
        std::to_string(WeightForShares(1536, WeightMapping::kLinear)));
    Set("fs/cgroup", kContainer, "cpu.weight",
        std::to_string(WeightForShares(1024, WeightMapping::kLinear)));
    Set("fs/cgroup", kPause, "cpu.weight", "1");
    Set("fs/cgroup", kPod, "memory.min", "402653184");
    Set("fs/cgroup", kContainer, "memory.min", "268435456");
    Set("fs/cgroup", kPause, "memory.min", "0");
    Set("fs/cgroup", kPause, "memory.low", "0");
  }
};

std::string Series(const std::string& metric, const std::string& cgroup) {
  return metric + "{cgroup=\"" + cgroup + "\"}";
}

TEST(CgroupCommitment, NestedLimitsCountOnceUnderTheTopmostKind) {
  V2KubeNode node;
  auto [status, text] = node.Collect();
  ASSERT_TRUE(status.ok()) << status;
  // Before: 4 + 1 + 1 = 6 cores and 9.5 GiB.
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"slice\"}"), 4);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"pod\"}"), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"container\"}"),
            std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"slice\"}"), 8589934592);
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_committed_memory_bytes{kind=\"pod\"}")));
  // The cgroups' own limits are still there.
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_limit_cores", kContainer)), 1);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_memory_limit_bytes", kPod)), 1073741824);
}

TEST(CgroupCommitment, AFilteredOutAncestorStillBoundsWhatIsBelowIt) {
  V2KubeNode node;
  CgroupCollectorOptions options;
  options.path_include = "cri-containerd-";  // only the container cgroups
  auto [status, text] = node.Collect(options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(text, Not(HasSubstr("cgroup=\"/kubepods.slice\"")));
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"slice\"}"), 4);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"container\"}"),
            std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"slice\"}"), 8589934592);
  // The pod is not reported, but its request, which holds the container's, counts.
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", kPod)), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_requested_cpu_cores{kind=\"pod\"}"), 1.5);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_requested_cpu_cores{kind=\"container\"}"),
            std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_requested_memory_bytes{kind=\"pod\"}"), 402653184);
}

TEST(CgroupCommitment, AnUnlimitedSliceLeavesItsChildrenTopmost) {
  V2KubeNode node;
  node.fs_.RemoveFile(HostRoot::kSys, std::string("fs/cgroup") + kSlice + "/cpu.max");
  node.Set("fs/cgroup", kSlice, "memory.max", "max");
  auto [status, text] = node.Collect();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"pod\"}"), 1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"slice\"}"), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"pod\"}"), 1073741824);
}

TEST(CgroupRequests, V2PodAndContainerRequestsAndTheirHostTotals) {
  V2KubeNode node;
  auto [status, text] = node.Collect();
  ASSERT_TRUE(status.ok()) << status;
  // Weight 59 comes from requests of 1.488 to 1.512 cores: read as their middle.
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", kPod)), 1.5);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", kContainer)), 0.988);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", kPause)), std::nullopt);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_memory_request_bytes", kPod)), 402653184);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_memory_request_bytes", kContainer)), 268435456);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_memory_request_bytes", kPause)), std::nullopt);
  // Slices are no requests, even with a weight.
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_cpu_request_cores{cgroup=\"/kubepods.slice\"}")));
  // Counted once: the pod's, not the pod's plus the container's.
  EXPECT_EQ(SampleValue(text, "strata_cgroup_requested_cpu_cores{kind=\"pod\"}"), 1.5);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_requested_memory_bytes{kind=\"pod\"}"), 402653184);
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_requested_cpu_cores{kind=\"container\"}")));
}

// runc 1.3.2 and later write containers' weights with another mapping: a
// 1-core container is weight 100, which the kubelet's mapping would read as
// 2.55 cores.
TEST(CgroupRequests, ContainersWrittenByANewerRuncAreReadWithItsMapping) {
  V2KubeNode node;
  node.Set("fs/cgroup", kContainer, "cpu.weight", "100");
  auto [status, text] = node.Collect();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", kContainer)), 0.995);
}

// v1: the cpu and memory hierarchies are separate; shares are exact; v1 has
// no memory.min, so no memory requests.
TEST(CgroupRequests, V1SharesAndSeparateHierarchies) {
  FakeHost node(kV1Mountinfo);
  const std::string pod = "/kubepods/burstable/pod0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8";
  const std::string container =
      pod + "/6f0ac270500a8168818eebfd60cad28f5282b466656cf6372bbb68c6ffaca025";
  for (const char* mount : {"fs/cgroup/cpu", "fs/cgroup/memory"}) {
    for (const std::string& path : {std::string(""), std::string("/kubepods"),
                                    std::string("/kubepods/burstable"), pod, container}) {
      node.AddCgroup(mount, path);
    }
  }
  node.Set("fs/cgroup/cpu", pod, "cpu.shares", "768");
  node.Set("fs/cgroup/cpu", container, "cpu.shares", "512");
  node.Set("fs/cgroup/cpu", "/kubepods/burstable", "cpu.shares", "768");
  node.Set("fs/cgroup/cpu", container, "cpu.cfs_quota_us", "100000");
  node.Set("fs/cgroup/cpu", container, "cpu.cfs_period_us", "100000");
  node.Set("fs/cgroup/memory", "/kubepods", "memory.limit_in_bytes", "8589934592");
  node.Set("fs/cgroup/memory", "/kubepods", "memory.use_hierarchy", "1");
  node.Set("fs/cgroup/memory", container, "memory.limit_in_bytes", "536870912");
  auto [status, text] = node.Collect();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", pod)), 0.75);
  EXPECT_EQ(SampleValue(text, Series("strata_cgroup_cpu_request_cores", container)), 0.5);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_requested_cpu_cores{kind=\"pod\"}"), 0.75);
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_memory_request_bytes")));
  // The memory hierarchy's kubepods limit bounds the container; nothing bounds
  // its CPU limit in the cpu hierarchy.
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"other\"}"), 8589934592);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"container\"}"),
            std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"container\"}"), 1);
}

TEST(CgroupCommitment, V1MemoryLimitWithoutHierarchyBoundsOnlyItself) {
  FakeHost node(kV1Mountinfo);
  for (const char* mount : {"fs/cgroup/cpu", "fs/cgroup/memory"}) {
    for (const char* path : {"", "/docker", "/docker/a"}) node.AddCgroup(mount, path);
  }
  node.Set("fs/cgroup/memory", "/docker", "memory.limit_in_bytes", "1073741824");
  node.Set("fs/cgroup/memory", "/docker", "memory.use_hierarchy", "0");
  node.Set("fs/cgroup/memory", "/docker/a", "memory.limit_in_bytes", "268435456");
  auto [status, text] = node.Collect();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"other\"}"),
            1073741824.0 + 268435456.0);
}

// Values no kernel writes: the largest integers the files can hold, "max"
// and garbage in the request files. No request, no crash, the file named.
TEST(CgroupRequests, HostileRequestFilesGiveNoRequest) {
  V2KubeNode node;
  node.Set("fs/cgroup", kPod, "cpu.weight", "18446744073709551615");
  node.Set("fs/cgroup", kContainer, "cpu.weight", "0");
  node.Set("fs/cgroup", kPod, "memory.min", "max");
  node.Set("fs/cgroup", kPod, "memory.low", "9223372036854771712");
  node.Set("fs/cgroup", kContainer, "memory.min", "lots");
  auto [status, text] = node.Collect();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(kContainer.substr(1) + "/memory.min"));
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_cpu_request_cores{")));
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_memory_request_bytes{")));
  EXPECT_THAT(text, Not(HasSubstr("strata_cgroup_requested_")));
  // The limits are unaffected.
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"slice\"}"), 4);
}

TEST(CgroupCommitment, AnUnreadableAncestorLimitIsAProblemNotACrash) {
  V2KubeNode node;
  node.fs_.FailWith(HostRoot::kSys, std::string("fs/cgroup") + kSlice + "/cpu.max",
                    absl::PermissionDeniedError("open kubepods.slice/cpu.max: Permission denied"));
  CgroupCollectorOptions options;
  options.path_include = "cri-containerd-";
  auto [status, text] = node.Collect(options);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("Permission denied"));
  // What could be read is still counted: here the pod's limit is then topmost.
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"pod\"}"), 1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"slice\"}"), 8589934592);
}

}  // namespace
}  // namespace strata
