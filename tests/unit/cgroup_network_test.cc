// Network I/O of containers and pods (collectors/cgroup/network.h): on the
// captured fixture tree, and on a fake tree for what a capture cannot show
// (a task exiting between two reads, a denied namespace, a malformed file,
// thousands of interfaces).
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collectors/cgroup/cgroup_collector.h"
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

using Result = testing::CgroupCollection;

Result CollectOnce(const HostFs& fs, const Logger& logger, CgroupCollectorOptions options = {}) {
  return testing::CollectCgroupsOnce(fs, logger, options);
}

std::string Series(const std::string& metric, const std::string& cgroup,
                   const std::string& interface) {
  return absl::StrCat("strata_cgroup_network_", metric, "_total{cgroup=\"", cgroup,
                      "\",interface=\"", interface, "\"}");
}

std::optional<double> Skipped(const std::string& text, const std::string& reason) {
  return SampleValue(text, "strata_cgroup_network_skipped{reason=\"" + reason + "\"}");
}

// --- The captured tree (tests/fixtures/cgroup/README.md) ---

const std::string kFixture =
    std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/cgroup/v2-netns-from-hybrid-firecracker-6.18";
const std::string kPod =
    "/kubepods.slice/kubepods-besteffort.slice/"
    "kubepods-besteffort-pod4c1e2a7d_9b3f_4e6a_8d25_f0c7b1a39e64.slice";
const std::string kPause =
    kPod + "/cri-containerd-3f9a6c1e8b2d4f7a0c5e9b1d3a6f8c2e4b7d9a1c3e5f7b9d1a3c5e7f9b1d3a5c.scope";
const std::string kApp =
    kPod + "/cri-containerd-8e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b.scope";
const std::string kHostNetworkPod =
    "/kubepods.slice/kubepods-besteffort.slice/"
    "kubepods-besteffort-pod7e0d5b21_c4a8_4f19_b6e3_2a9c8d71f053.slice";
const std::string kDocker =
    "/system.slice/docker-5d7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e.scope";

class CapturedTreeTest : public ::testing::Test {
 protected:
  Result Collect(CgroupCollectorOptions options = {}) {
    return CollectOnce(*fs_, logger_, options);
  }
  std::unique_ptr<HostFs> fs_ =
      NewRealHostFs({kFixture + "/proc", kFixture + "/sys", kFixture + "/rootfs"});
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
};

TEST_F(CapturedTreeTest, ReportsEachNamespaceOnceOnThePodOrItsContainer) {
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  // Both containers of the pod are in the pod's namespace: it is reported on the pod.
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kPod, "eth0")), 1600);
  EXPECT_EQ(SampleValue(r.text, Series("receive_packets", kPod, "eth0")), 24);
  EXPECT_EQ(SampleValue(r.text, Series("transmit_bytes", kPod, "eth0")), 1327);
  EXPECT_EQ(SampleValue(r.text, Series("transmit_packets", kPod, "eth0")), 18);
  EXPECT_EQ(SampleValue(r.text, Series("receive_errors", kPod, "eth0")), 0);
  EXPECT_EQ(SampleValue(r.text, Series("transmit_drops", kPod, "eth0")), 0);
  for (const std::string& container : {kPause, kApp}) {
    EXPECT_THAT(r.text, Not(HasSubstr("receive_bytes_total{cgroup=\"" + container)));
  }
  // The Docker container, its names as its root chose them (the scraper,
  // not the collector, makes them valid UTF-8).
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kDocker, "eth0")), 1448);
  EXPECT_EQ(SampleValue(r.text, Series("transmit_bytes", kDocker, "eth0")), 1417);
  EXPECT_EQ(SampleValue(r.text, Series("receive_packets", kDocker, "a\\\"b\\\\c")), 0);
  EXPECT_EQ(SampleValue(r.text, Series("receive_packets", kDocker,
                                       "\xff\xfe"
                                       "ab")),
            0);
  EXPECT_EQ(SampleValue(r.text, Series("receive_packets", kDocker, "\xfex")), 0);
  // "\xffx" is the same label as "\xfex" once made valid UTF-8: left out.
  EXPECT_EQ(SampleValue(r.text, Series("receive_packets", kDocker, "\xffx")), std::nullopt);
  EXPECT_EQ(Skipped(r.text, "duplicate"), 1);
  // lo is never reported; the hostNetwork pod shares the host's namespace.
  EXPECT_THAT(r.text, Not(HasSubstr("interface=\"lo\"")));
  EXPECT_THAT(r.text, Not(HasSubstr("receive_bytes_total{cgroup=\"" + kHostNetworkPod)));
  EXPECT_EQ(Skipped(r.text, "vanished"), 0);
  EXPECT_EQ(Skipped(r.text, "denied"), 0);
  EXPECT_EQ(Skipped(r.text, "cap"), 0);
  // 1 interface of the pod, 4 of the Docker container, 8 families.
  size_t samples = 0;
  for (size_t at = 0; (at = r.text.find("\nstrata_cgroup_network_", at)) != std::string::npos;
       ++at) {
    ++samples;
  }
  EXPECT_EQ(samples, 5 * 8 + 4);  // and the 4 skipped reasons
}

TEST_F(CapturedTreeTest, TheCapCountsTheInterfacesLeftOut) {
  CgroupCollectorOptions options;
  options.network_max_interfaces = 2;
  Result r = Collect(options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kDocker, "eth0")), 1448);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kDocker, "a\\\"b\\\\c")), 0);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kDocker, "\xfex")), std::nullopt);
  EXPECT_EQ(Skipped(r.text, "cap"), 3);
  EXPECT_EQ(Skipped(r.text, "duplicate"), 0);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kPod, "eth0")), 1600);
}

TEST_F(CapturedTreeTest, TurnedOffReadsNoNamespace) {
  CgroupCollectorOptions options;
  options.network = false;
  Result r = Collect(options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.text, Not(HasSubstr("strata_cgroup_network_")));
  EXPECT_THAT(r.text, HasSubstr("strata_cgroup_info{cgroup=\"" + kDocker));
}

// --- A fake tree ---

constexpr char kV2Mountinfo[] =
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";
constexpr char kHybridMountinfo[] =
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr uint64_t kHostNs = 4026531833;
constexpr char kNetDevHeader[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

std::string NetDev(const std::vector<std::pair<std::string, int>>& interfaces) {
  std::string text = kNetDevHeader;
  text +=
      "    lo:      90       2    0    0    0     0          0         0       90       2    "
      "0    0    0     0       0          0\n";
  for (const auto& [name, bytes] : interfaces) {
    absl::StrAppend(&text, name, ": ", bytes, " 1 0 0 0 0 0 0 ", bytes * 2, " 2 0 0 0 0 0 0\n");
  }
  return text;
}

const std::string kC1 = "/system.slice/docker-" + std::string(64, 'a') + ".scope";
const std::string kC2 = "/system.slice/docker-" + std::string(64, 'b') + ".scope";

// A v2 host whose PID 1 is in the host's namespace; cgroups and tasks added by each test.
struct FakeTree {
  FakeTree() {
    fs_.AddFile(HostRoot::kProc, "1/mountinfo", kV2Mountinfo);
    fs_.AddLink(HostRoot::kProc, "1/ns/net", absl::StrCat("net:[", kHostNs, "]"));
    fs_.AddDir(HostRoot::kSys, "fs/cgroup");
  }

  // A cgroup (and its parents) below `mount`, with `procs` as its cgroup.procs.
  void AddCgroup(const std::string& path, const std::string& procs,
                 const std::string& mount = "fs/cgroup") {
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      fs_.AddDir(HostRoot::kSys, mount + path.substr(0, slash));
    }
    fs_.AddDir(HostRoot::kSys, mount + path);
    fs_.AddFile(HostRoot::kSys, mount + path + "/cgroup.procs", procs);
  }

  void AddTask(int pid, uint64_t ns, const std::string& net_dev) {
    fs_.AddLink(HostRoot::kProc, absl::StrCat(pid, "/ns/net"), absl::StrCat("net:[", ns, "]"));
    fs_.AddFile(HostRoot::kProc, absl::StrCat(pid, "/net/dev"), net_dev);
  }

  Result Collect(CgroupCollectorOptions options = {}) { return CollectOnce(fs_, logger_, options); }

  FakeHostFs fs_;
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
};

class FakeTreeTest : public ::testing::Test, protected FakeTree {};

TEST_F(FakeTreeTest, ACgroupWithoutTasksReadsNoNamespace) {
  AddCgroup(kC1, "");
  int links_read = 0;
  fs_.set_on_read([&](HostRoot, const std::string& path) {
    links_read += path.find("/ns/") != std::string::npos;
  });
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(links_read, 0);
  EXPECT_EQ(Skipped(r.text, "vanished"), 0);
}

// A task can exit (and its PID be taken by another) at any moment: before its
// namespace is read, before its net/dev is, or while it is. Each is a clean
// skip, the other container still reported.
TEST_F(FakeTreeTest, ATaskExitingBetweenReadsIsVanishedNotAnError) {
  struct Case {
    const char* name;
    std::function<void(FakeTree&)> arrange;
  };
  const Case cases[] = {
      {"exited before its link is read",
       [](FakeTree& t) { t.fs_.RemoveLink(HostRoot::kProc, "100/ns/net"); }},
      {"exited before net/dev is read",
       [](FakeTree& t) { t.fs_.RemoveFile(HostRoot::kProc, "100/net/dev"); }},
      {"exited while net/dev was read",
       [](FakeTree& t) {
         t.fs_.set_on_read([&t](HostRoot, const std::string& path) {
           if (path == "100/net/dev") t.fs_.RemoveLink(HostRoot::kProc, "100/ns/net");
         });
       }},
      {"its PID taken by a task of another namespace meanwhile",
       [](FakeTree& t) {
         t.fs_.set_on_read([&t](HostRoot, const std::string& path) {
           if (path == "100/net/dev") t.fs_.AddLink(HostRoot::kProc, "100/ns/net", "net:[7]");
         });
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeTree t;
    t.AddCgroup(kC1, "100\n101\n");
    t.AddCgroup(kC2, "200\n");
    t.AddTask(100, 5000, NetDev({{"eth0", 10}}));
    t.AddTask(200, 6000, NetDev({{"eth0", 20}}));
    c.arrange(t);
    Result r = t.Collect();
    EXPECT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(Skipped(r.text, "vanished"), 1);
    EXPECT_THAT(r.text, Not(HasSubstr("network_receive_bytes_total{cgroup=\"" + kC1)));
    EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC2, "eth0")), 20);
    t.fs_.set_on_read(nullptr);
  }
}

TEST_F(FakeTreeTest, ADeniedNamespaceIsCountedAndLoggedOnce) {
  AddCgroup(kC1, "100\n");
  AddCgroup(kC2, "200\n");
  AddTask(100, 5000, NetDev({{"eth0", 10}}));
  AddTask(200, 6000, NetDev({{"eth0", 20}}));
  fs_.FailWith(HostRoot::kProc, "100/ns/net",
               absl::PermissionDeniedError("readlink /proc/100/ns/net: Permission denied"));
  CgroupCollectorOptions options;
  options.docker_socket = "";
  auto collector = NewCgroupCollector({fs_, logger_}, options);
  ASSERT_TRUE(collector.ok());
  for (int scrape = 0; scrape < 2; ++scrape) {
    std::vector<prometheus::MetricFamily> families;
    EXPECT_TRUE((*collector)->Collect(families).ok());
    const std::string text = prometheus::TextSerializer().Serialize(families);
    EXPECT_EQ(Skipped(text, "denied"), 1);
    EXPECT_EQ(SampleValue(text, Series("receive_bytes", kC2, "eth0")), 20);
  }
  const std::string log = log_.str();
  const std::string message = "may not be read";
  EXPECT_THAT(log, HasSubstr(message));
  EXPECT_EQ(log.find(message), log.rfind(message)) << log;
}

// A sandbox may hide PID 1's links (an init that is not dumpable): the
// exporter's own namespace stands for the host's, as for mountinfo.
TEST_F(FakeTreeTest, TheExportersNamespaceStandsInForAHiddenPid1s) {
  fs_.FailWith(HostRoot::kProc, "1/ns/net",
               absl::PermissionDeniedError("readlink /proc/1/ns/net: Permission denied"));
  fs_.AddLink(HostRoot::kProc, "self/ns/net", absl::StrCat("net:[", kHostNs, "]"));
  AddCgroup(kC1, "100\n");
  AddCgroup(kC2, "200\n");
  AddTask(100, kHostNs, NetDev({{"eth0", 10}}));  // docker run --network host
  AddTask(200, 6000, NetDev({{"eth0", 20}}));
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.text, Not(HasSubstr("cgroup=\"" + kC1 + "\",interface")));
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC2, "eth0")), 20);
}

TEST_F(FakeTreeTest, NoHostNamespaceAtAllReportsNothingAndSaysSoOnce) {
  fs_.RemoveLink(HostRoot::kProc, "1/ns/net");
  AddCgroup(kC1, "100\n");
  AddTask(100, 6000, NetDev({{"eth0", 20}}));
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.text, Not(HasSubstr("network_receive_bytes_total")));
  EXPECT_EQ(Skipped(r.text, "denied"), 1);
  EXPECT_THAT(log_.str(), HasSubstr("the host's network namespace cannot be read"));
}

TEST_F(FakeTreeTest, AMalformedNetDevFailsTheCollectorNamingItAndKeepsTheOthers) {
  AddCgroup(kC1, "100\n");
  AddCgroup(kC2, "200\n");
  AddTask(100, 5000, std::string(kNetDevHeader) + "  eth0: 1 2 3\n");
  AddTask(200, 6000, NetDev({{"eth0", 20}}));
  Result r = Collect();
  EXPECT_TRUE(absl::IsDataLoss(r.status)) << r.status;
  EXPECT_THAT(r.status.message(), HasSubstr("/fake/proc/100/net/dev: line 3: 3 values"));
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC2, "eth0")), 20);
  // The rest of the collector's output is there.
  EXPECT_THAT(r.text, HasSubstr("strata_cgroup_info{cgroup=\"" + kC1));
}

TEST_F(FakeTreeTest, AMalformedNamespaceLinkOrCgroupProcsIsAProblem) {
  AddCgroup(kC1, "100\n");
  AddCgroup(kC2, "not a pid\n");
  fs_.AddLink(HostRoot::kProc, "100/ns/net", "/run/netns/x");
  Result r = Collect();
  EXPECT_TRUE(absl::IsDataLoss(r.status)) << r.status;
  EXPECT_THAT(r.status.message(), HasSubstr("2 cgroup files unreadable, first: "));
  EXPECT_THAT(r.status.message(), HasSubstr("/cgroup.procs: first line is not a PID"));
}

// A container root can make thousands of interfaces; the series stay bounded.
TEST_F(FakeTreeTest, ThousandsOfInterfacesAreCappedPerNamespace) {
  std::vector<std::pair<std::string, int>> interfaces;
  for (int i = 0; i < 5000; ++i) interfaces.push_back({absl::StrCat("veth", i), i});
  AddCgroup(kC1, "100\n");
  AddTask(100, 5000, NetDev(interfaces));
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(Skipped(r.text, "cap"), 5000 - 64);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC1, "veth63")), 63);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC1, "veth64")), std::nullopt);
}

// cgroup.procs is taken from the first hierarchy in walk order that has the
// cgroup: on a hybrid host the v1 one, not the cgroup2 one.
TEST_F(FakeTreeTest, AHybridHostTakesTheTaskFromTheV1Hierarchy) {
  fs_.AddFile(HostRoot::kProc, "1/mountinfo", kHybridMountinfo);
  fs_.AddDir(HostRoot::kSys, "fs/cgroup/cpu");
  fs_.AddDir(HostRoot::kSys, "fs/cgroup/unified");
  AddCgroup(kC1, "100\n", "fs/cgroup/cpu");
  AddCgroup(kC1, "200\n", "fs/cgroup/unified");
  // Only in the cgroup2 tree: found there.
  AddCgroup(kC2, "300\n", "fs/cgroup/unified");
  AddTask(100, 5000, NetDev({{"eth0", 10}}));
  AddTask(200, 6000, NetDev({{"eth0", 20}}));
  AddTask(300, 7000, NetDev({{"eth0", 30}}));
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC1, "eth0")), 10);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", kC2, "eth0")), 30);
}

// Without a reported pod cgroup (here filtered out), the first container in
// walk order has the shared namespace; the next has nothing, so nothing is
// counted twice.
TEST_F(FakeTreeTest, WithoutThePodTheFirstContainerHasTheSharedNamespace) {
  const std::string pod =
      "/kubepods/besteffort/pod" + std::string("0123abcd-0000-4000-8000-") + "00000000cafe";
  const std::string first = pod + "/" + std::string(64, '1');
  const std::string second = pod + "/" + std::string(64, '2');
  AddCgroup(pod, "");
  AddCgroup(first, "100\n");
  AddCgroup(second, "200\n");
  AddTask(100, 5000, NetDev({{"eth0", 10}}));
  AddTask(200, 5000, NetDev({{"eth0", 10}}));
  {
    Result r = Collect();
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", pod, "eth0")), 10);
    EXPECT_THAT(r.text, Not(HasSubstr("receive_bytes_total{cgroup=\"" + first)));
    EXPECT_THAT(r.text, Not(HasSubstr("receive_bytes_total{cgroup=\"" + second)));
  }
  CgroupCollectorOptions options;
  options.path_exclude = "pod[^/]*$";
  Result r = Collect(options);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", first, "eth0")), 10);
  EXPECT_THAT(r.text, Not(HasSubstr("receive_bytes_total{cgroup=\"" + second)));
  EXPECT_THAT(r.text, Not(HasSubstr("receive_bytes_total{cgroup=\"" + pod + "\"")));
}

// A container nested in another, each in a namespace of its own: each is
// reported on its own cgroup.
TEST_F(FakeTreeTest, NestedContainersWithTheirOwnNamespacesAreEachReported) {
  const std::string outer = "/lxc.payload.ci";
  const std::string inner = outer + "/system.slice/docker-" + std::string(64, 'c') + ".scope";
  AddCgroup(outer, "100\n");
  AddCgroup(inner, "200\n");
  AddTask(100, 5000, NetDev({{"eth0", 10}}));
  AddTask(200, 6000, NetDev({{"eth0", 20}}));
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", outer, "eth0")), 10);
  EXPECT_EQ(SampleValue(r.text, Series("receive_bytes", inner, "eth0")), 20);
}

// Services and slices are never read, whatever namespace their tasks are in.
TEST_F(FakeTreeTest, OnlyContainersAndPodsAreRead) {
  AddCgroup("/system.slice/web.service", "100\n");
  AddTask(100, 5000, NetDev({{"eth0", 10}}));
  Result r = Collect();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.text, Not(HasSubstr("network_receive_bytes_total")));
}

}  // namespace
}  // namespace strata
