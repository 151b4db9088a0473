#include "collectors/cgroup/commitment.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

CgroupAllocation Cpu(const std::string& kind, std::optional<double> cores) {
  CgroupAllocation allocation;
  allocation.kind = kind;
  allocation.cpu_limit_cores = cores;
  return allocation;
}

CgroupAllocation Memory(const std::string& kind, std::optional<double> bytes,
                        bool covers_descendants = true) {
  CgroupAllocation allocation;
  allocation.kind = kind;
  allocation.memory_limit_bytes = bytes;
  allocation.memory_limit_covers_descendants = covers_descendants;
  return allocation;
}

TEST(CgroupAncestors, AreEveryPrefixRootFirst) {
  EXPECT_THAT(CgroupAncestors("/a/b/c"), ElementsAre("/", "/a", "/a/b"));
  EXPECT_THAT(CgroupAncestors("/a"), ElementsAre("/"));
  EXPECT_THAT(CgroupAncestors("/"), IsEmpty());
  EXPECT_THAT(CgroupAncestors(""), IsEmpty());
}

// The example: a 4-core slice holding a 1-core pod holding a 1-core
// container was 6 committed cores, of which at most 4 can be used.
TEST(TopmostTotals, ALimitUnderALimitedAncestorCountsNothing) {
  std::map<std::string, CgroupAllocation> tree;
  tree["/"] = Cpu("other", std::nullopt);
  tree["/kubepods.slice"] = Cpu("slice", 4);
  tree["/kubepods.slice/pod.slice"] = Cpu("pod", 1);
  tree["/kubepods.slice/pod.slice/c.scope"] = Cpu("container", 1);
  EXPECT_THAT(TopmostTotals(tree).cpu_limit_cores, ElementsAre(Pair("slice", 4)));
}

// The deeper tree the issue measured 9.5 cores on: every branch counts its
// topmost limit, under that cgroup's kind, and nothing below it.
TEST(TopmostTotals, EachBranchCountsItsTopmostLimitUnderItsKind) {
  std::map<std::string, CgroupAllocation> tree;
  tree["/"] = Cpu("other", std::nullopt);
  tree["/kubepods.slice"] = Cpu("slice", 4);
  tree["/kubepods.slice/a.slice"] = Cpu("pod", 1);
  tree["/kubepods.slice/a.slice/c1.scope"] = Cpu("container", 1);
  tree["/kubepods.slice/b.slice"] = Cpu("pod", 2);
  tree["/kubepods.slice/b.slice/c2.scope"] = Cpu("container", 1);
  tree["/kubepods.slice/b.slice/c3.scope"] = Cpu("container", 0.5);
  tree["/system.slice"] = Cpu("slice", std::nullopt);
  tree["/system.slice/docker-1.scope"] = Cpu("container", 0.5);
  tree["/system.slice/web.service"] = Cpu("service", 2);
  tree["/machine.slice"] = Cpu("slice", std::nullopt);
  tree["/machine.slice/vm.scope"] = Cpu("vm", std::nullopt);
  tree["/machine.slice/vm.scope/libvirt"] = Cpu("other", 2);
  EXPECT_THAT(TopmostTotals(tree).cpu_limit_cores,
              UnorderedElementsAre(Pair("slice", 4), Pair("container", 0.5), Pair("service", 2),
                                   Pair("other", 2)));
}

// cgroup v1 keeps cpu and memory in separate hierarchies: a memory limit on
// the slice does not hide a CPU limit below it, nor the other way round.
TEST(TopmostTotals, EachResourceLooksOnlyAtItsOwnAncestors) {
  std::map<std::string, CgroupAllocation> tree;
  tree["/s.slice"] = Memory("slice", 1 << 30);
  tree["/s.slice/p.slice"] = Cpu("pod", 2);
  tree["/s.slice/p.slice"].memory_limit_bytes = 512 << 20;
  tree["/s.slice/p.slice/c.scope"] = Cpu("container", 1);
  tree["/s.slice/p.slice/c.scope"].memory_limit_bytes = 256 << 20;
  CommitmentTotals totals = TopmostTotals(tree);
  EXPECT_THAT(totals.cpu_limit_cores, ElementsAre(Pair("pod", 2)));
  EXPECT_THAT(totals.memory_limit_bytes, ElementsAre(Pair("slice", 1 << 30)));
}

// v1 memory.use_hierarchy 0 (before Linux 5.11): the children are not
// charged to the cgroup, so its limit does not bound them.
TEST(TopmostTotals, ANonHierarchicalMemoryLimitBoundsOnlyItself) {
  std::map<std::string, CgroupAllocation> tree;
  tree["/docker"] = Memory("other", 4 << 20, /*covers_descendants=*/false);
  tree["/docker/a"] = Memory("container", 1 << 20);
  tree["/docker/b"] = Memory("container", 2 << 20);
  EXPECT_THAT(TopmostTotals(tree).memory_limit_bytes,
              UnorderedElementsAre(Pair("other", 4 << 20), Pair("container", 3 << 20)));
}

// The pod's request already holds its containers'; a QoS slice holds none here.
TEST(TopmostTotals, RequestsCountTheTopmostOfEachBranch) {
  std::map<std::string, CgroupAllocation> tree;
  tree["/kubepods"] = CgroupAllocation{"other"};
  tree["/kubepods/burstable"] = CgroupAllocation{"other"};
  tree["/kubepods/burstable/podA"] = CgroupAllocation{"pod"};
  tree["/kubepods/burstable/podA"].cpu_request_cores = 0.75;
  tree["/kubepods/burstable/podA"].memory_request_bytes = 300;
  tree["/kubepods/burstable/podA/c1"] = CgroupAllocation{"container"};
  tree["/kubepods/burstable/podA/c1"].cpu_request_cores = 0.5;
  tree["/kubepods/burstable/podA/c1"].memory_request_bytes = 200;
  tree["/kubepods/burstable/podB/c2"] = CgroupAllocation{"container"};
  tree["/kubepods/burstable/podB/c2"].cpu_request_cores = 0.25;
  CommitmentTotals totals = TopmostTotals(tree);
  EXPECT_THAT(totals.cpu_request_cores,
              UnorderedElementsAre(Pair("pod", 0.75), Pair("container", 0.25)));
  EXPECT_THAT(totals.memory_request_bytes, ElementsAre(Pair("pod", 300)));
  EXPECT_THAT(totals.cpu_limit_cores, IsEmpty());
}

TEST(TopmostTotals, NothingLimitedIsNothingCommitted) {
  std::map<std::string, CgroupAllocation> tree;
  tree["/"] = CgroupAllocation{"other"};
  tree["/a"] = CgroupAllocation{"other"};
  CommitmentTotals totals = TopmostTotals(tree);
  EXPECT_THAT(totals.cpu_limit_cores, IsEmpty());
  EXPECT_THAT(totals.memory_limit_bytes, IsEmpty());
  EXPECT_THAT(totals.cpu_request_cores, IsEmpty());
  EXPECT_THAT(totals.memory_request_bytes, IsEmpty());
}

}  // namespace
}  // namespace strata
