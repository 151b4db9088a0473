#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collectors/cgroup/mounts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::PrintToString;

// A location as "sys:fs/cgroup/cpu" or "rootfs:cgroup/memory", so that a
// mismatch shows both the root and the path.
std::string Describe(const HierarchyLocation& location) {
  const char* root = location.root == HostRoot::kSys      ? "sys"
                     : location.root == HostRoot::kRootfs ? "rootfs"
                                                          : "proc";
  return absl::StrCat(root, ":", location.path);
}

std::string Describe(const std::optional<HierarchyLocation>& location) {
  return location.has_value() ? Describe(*location) : "(none)";
}

std::map<std::string, std::string> Describe(const std::map<std::string, HierarchyLocation>& v1) {
  std::map<std::string, std::string> out;
  for (const auto& [controller, location] : v1) out[controller] = Describe(location);
  return out;
}

// This machine's /proc/1/mountinfo (Firecracker VM, kernel 6.18, hybrid
// cgroups: every v1 controller on its own hierarchy below a tmpfs at
// /sys/fs/cgroup, the name=systemd named hierarchy, and cgroup2 at
// /sys/fs/cgroup/unified), copied verbatim.
constexpr char kThisMachine[] = R"(22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,nr_inodes=3083623,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755
29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ParseCgroupMounts, ThisMachineIsHybrid) {
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(kThisMachine);
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(mounts->mode, CgroupMode::kHybrid);
  // name=systemd is a named hierarchy without a controller: not listed.
  EXPECT_EQ(Describe(mounts->v1), (std::map<std::string, std::string>{
                                      {"blkio", "sys:fs/cgroup/blkio"},
                                      {"cpu", "sys:fs/cgroup/cpu"},
                                      {"cpuacct", "sys:fs/cgroup/cpuacct"},
                                      {"cpuset", "sys:fs/cgroup/cpuset"},
                                      {"devices", "sys:fs/cgroup/devices"},
                                      {"freezer", "sys:fs/cgroup/freezer"},
                                      {"memory", "sys:fs/cgroup/memory"},
                                      {"pids", "sys:fs/cgroup/pids"},
                                  }));
  EXPECT_EQ(Describe(mounts->unified), "sys:fs/cgroup/unified");
  EXPECT_EQ(mounts->v1.at("memory"), (HierarchyLocation{HostRoot::kSys, "fs/cgroup/memory"}));
}

TEST(ParseCgroupMounts, LiveMountinfoOfPid1Parses) {
  const std::string mountinfo = ReadWholeFile("/proc/1/mountinfo");
  if (mountinfo.empty()) GTEST_SKIP() << "/proc/1/mountinfo is not readable here";
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(mountinfo);
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  const bool has_cgroup = absl::StrContains(mountinfo, " - cgroup ");
  const bool has_cgroup2 = absl::StrContains(mountinfo, " - cgroup2 ");
  EXPECT_EQ(mounts->unified.has_value(), has_cgroup2);
  if (!has_cgroup) {
    EXPECT_THAT(mounts->v1, IsEmpty());
  }
  if (!has_cgroup && !has_cgroup2) {
    EXPECT_EQ(mounts->mode, CgroupMode::kNone);
  }
}

// What the kernel says this process's hierarchies are: the controllers of
// every v1 hierarchy, and whether there is a unified one ("0::/...").
struct KernelHierarchies {
  std::set<std::string> v1_controllers;
  bool unified = false;
};

KernelHierarchies ReadProcSelfCgroup() {
  KernelHierarchies kernel;
  for (absl::string_view line :
       absl::StrSplit(ReadWholeFile("/proc/self/cgroup"), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (fields.size() != 3) continue;
    if (fields[0] == "0" && fields[1].empty()) kernel.unified = true;
    for (absl::string_view controller : absl::StrSplit(fields[1], ',', absl::SkipEmpty())) {
      kernel.v1_controllers.insert(std::string(controller));
    }
  }
  return kernel;
}

TEST(ParseCgroupMounts, LiveMountsAgreeWithProcSelfCgroupAndTheFilesystem) {
  const std::string mountinfo = ReadWholeFile("/proc/self/mountinfo");
  if (mountinfo.empty()) GTEST_SKIP() << "/proc/self/mountinfo is not readable here";
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(mountinfo);
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  const KernelHierarchies kernel = ReadProcSelfCgroup();
  for (const auto& [controller, location] : mounts->v1) {
    SCOPED_TRACE(controller + " at " + Describe(location));
    EXPECT_EQ(kernel.v1_controllers.count(controller), 1u) << "not in /proc/self/cgroup";
    const std::string dir = (location.root == HostRoot::kSys ? "/sys/" : "/") + location.path;
    EXPECT_TRUE(std::ifstream(dir + "/cgroup.procs").good()) << dir << " is not a cgroup";
  }
  if (mounts->unified.has_value()) {
    EXPECT_TRUE(kernel.unified) << "no 0:: line in /proc/self/cgroup";
    const HierarchyLocation& location = *mounts->unified;
    const std::string dir = (location.root == HostRoot::kSys ? "/sys/" : "/") + location.path;
    EXPECT_TRUE(std::ifstream(dir + "/cgroup.procs").good()) << dir << " is not a cgroup";
  }
}

TEST(ParseCgroupMounts, PureV2Host) {
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(
      "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
      "23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(mounts->mode, CgroupMode::kV2);
  EXPECT_THAT(mounts->v1, IsEmpty());
  EXPECT_EQ(Describe(mounts->unified), "sys:fs/cgroup");
}

TEST(ParseCgroupMounts, V1HostWithCombinedHierarchies) {
  // systemd's "legacy" layout (CentOS 7, Ubuntu 18.04): co-mounted
  // cpu,cpuacct and net_cls,net_prio, and a name=systemd hierarchy whose
  // options include a release agent path.
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(
      "25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup "
      "cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
      "29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - "
      "cgroup cgroup rw,cpu,cpuacct\n"
      "30 25 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:11 - "
      "cgroup cgroup rw,net_cls,net_prio\n"
      "31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup "
      "cgroup rw,memory\n"
      "32 25 0:28 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
      "cgroup rw,blkio\n"
      "33 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
      "cgroup rw,pids\n"
      "34 25 0:30 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
      "cgroup rw,hugetlb\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(mounts->mode, CgroupMode::kV1);
  EXPECT_EQ(Describe(mounts->v1), (std::map<std::string, std::string>{
                                      {"blkio", "sys:fs/cgroup/blkio"},
                                      {"cpu", "sys:fs/cgroup/cpu,cpuacct"},
                                      {"cpuacct", "sys:fs/cgroup/cpu,cpuacct"},
                                      {"hugetlb", "sys:fs/cgroup/hugetlb"},
                                      {"memory", "sys:fs/cgroup/memory"},
                                      {"net_cls", "sys:fs/cgroup/net_cls,net_prio"},
                                      {"net_prio", "sys:fs/cgroup/net_cls,net_prio"},
                                      {"pids", "sys:fs/cgroup/pids"},
                                  }));
  EXPECT_EQ(mounts->unified, std::nullopt);
}

TEST(ParseCgroupMounts, NamedHierarchyAloneIsNotV1) {
  // A v2 host that mounts name=systemd for old containers is still v2.
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n"
      "41 30 0:38 / /sys/fs/cgroup/systemd rw,relatime shared:5 - cgroup cgroup rw,name=systemd\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(mounts->mode, CgroupMode::kV2);
  EXPECT_THAT(mounts->v1, IsEmpty());
}

TEST(ParseCgroupMounts, NoCgroupMountsIsModeNone) {
  for (const char* mountinfo : {
           "",
           "\n",
           "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
           "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
           "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
           "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n",
       }) {
    SCOPED_TRACE(PrintToString(std::string(mountinfo)));
    absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(mountinfo);
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    EXPECT_EQ(mounts->mode, CgroupMode::kNone);
    EXPECT_THAT(mounts->v1, IsEmpty());
    EXPECT_EQ(mounts->unified, std::nullopt);
  }
}

TEST(ParseCgroupMounts, SkipsAnyNumberOfOptionalFields) {
  for (const char* optional : {"", "shared:13", "shared:13 master:7",
                               "shared:13 master:7 propagate_from:2", "unbindable"}) {
    const std::string mountinfo =
        absl::StrCat("35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime ",
                     optional, " - cgroup cgroup rw,memory\n");
    SCOPED_TRACE(mountinfo);
    absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(mountinfo);
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    EXPECT_EQ(mounts->mode, CgroupMode::kV1);
    EXPECT_EQ(Describe(mounts->v1),
              (std::map<std::string, std::string>{{"memory", "sys:fs/cgroup/memory"}}));
  }
}

TEST(ParseCgroupMounts, MountPointsOutsideSysAreBelowTheRootfs) {
  struct Case {
    const char* mount_point;
    const char* want;
  };
  const Case cases[] = {
      {"/cgroup/memory", "rootfs:cgroup/memory"},
      {"/sysroot/fs/cgroup/memory", "rootfs:sysroot/fs/cgroup/memory"},
      {"/sys/fs/cgroup/memory", "sys:fs/cgroup/memory"},
      {"/sys", "sys:"},
      {"/", "rootfs:"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mount_point);
    absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(
        absl::StrCat("35 31 0:32 / ", c.mount_point, " rw,relatime - cgroup cgroup rw,memory\n"));
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    ASSERT_EQ(mounts->v1.count("memory"), 1u);
    EXPECT_EQ(Describe(mounts->v1.at("memory")), c.want);
  }
}

TEST(ParseCgroupMounts, UnescapesOctalInTheMountPoint) {
  // show_mountinfo() escapes space, tab, newline and backslash as \ooo.
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(
      "35 31 0:32 / /sys/fs/cgroup/my\\040dir rw,relatime - cgroup cgroup rw,memory\n"
      "36 31 0:33 / /sys/fs/cgroup/tab\\011back\\134slash rw,relatime - cgroup cgroup rw,pids\n"
      "37 31 0:34 / /sys/fs/cgroup/end\\040 rw,relatime - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(Describe(mounts->v1), (std::map<std::string, std::string>{
                                      {"memory", "sys:fs/cgroup/my dir"},
                                      {"pids", "sys:fs/cgroup/tab\tback\\slash"},
                                  }));
  EXPECT_EQ(Describe(mounts->unified), "sys:fs/cgroup/end ");
}

TEST(ParseCgroupMounts, MountUnderSysFsCgroupWinsOverAnotherOne) {
  // A container's view of the host's hierarchy bind-mounted elsewhere, before
  // or after the real one.
  const std::string elsewhere =
      "50 27 0:32 / /var/lib/docker/overlay2/0c1d2e3f/merged/sys/fs/cgroup/memory rw,relatime - "
      "cgroup cgroup rw,memory\n"
      "51 27 0:38 / /var/lib/docker/overlay2/0c1d2e3f/merged/sys/fs/cgroup/unified rw,relatime - "
      "cgroup2 cgroup2 rw\n";
  const std::string at_sys =
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  for (const std::string& mountinfo : {elsewhere + at_sys, at_sys + elsewhere}) {
    SCOPED_TRACE(mountinfo);
    absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(mountinfo);
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    EXPECT_EQ(mounts->mode, CgroupMode::kHybrid);
    EXPECT_EQ(Describe(mounts->v1),
              (std::map<std::string, std::string>{{"memory", "sys:fs/cgroup/memory"}}));
    EXPECT_EQ(Describe(mounts->unified), "sys:fs/cgroup/unified");
  }
}

TEST(ParseCgroupMounts, FirstMountWinsWhenNoneIsUnderSysFsCgroup) {
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(
      "35 27 0:32 / /cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "36 27 0:32 / /mnt/memory rw,relatime - cgroup cgroup rw,memory\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(Describe(mounts->v1),
            (std::map<std::string, std::string>{{"memory", "rootfs:cgroup/memory"}}));
}

TEST(ParseCgroupMounts, MalformedLineIsInvalidArgumentNamingIt) {
  for (const char* line : {
           // Too few fields.
           "35 31 0:32 / /sys/fs/cgroup/memory",
           "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime",
           "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime -",
           "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup",
           // No "-" separator.
           "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:1 cgroup cgroup rw,memory",
           "garbage",
       }) {
    SCOPED_TRACE(line);
    absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(absl::StrCat(kThisMachine, line, "\n"));
    EXPECT_TRUE(absl::IsInvalidArgument(mounts.status())) << mounts.status();
    EXPECT_THAT(mounts.status().message(), HasSubstr(line));
  }
}

TEST(ParseCgroupMounts, EmptyMountSourceIsValid) {
  // mount(2) accepts an empty source, and show_mountinfo() then writes an
  // empty field ("... - tmpfs  rw"); such a line must not reject the file.
  const std::string mountinfo =
      absl::StrCat(kThisMachine, "74 25 0:59 / /mnt/tmpfs rw,relatime shared:38 - tmpfs  rw\n");
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(mountinfo);
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_EQ(mounts->mode, CgroupMode::kHybrid);
  EXPECT_EQ(mounts->v1.size(), 8u);
  EXPECT_EQ(Describe(mounts->unified), "sys:fs/cgroup/unified");
}

TEST(CgroupModeName, NamesEveryMode) {
  EXPECT_STREQ(CgroupModeName(CgroupMode::kNone), "none");
  EXPECT_STREQ(CgroupModeName(CgroupMode::kV1), "v1");
  EXPECT_STREQ(CgroupModeName(CgroupMode::kV2), "v2");
  EXPECT_STREQ(CgroupModeName(CgroupMode::kHybrid), "hybrid");
}

}  // namespace
}  // namespace strata
