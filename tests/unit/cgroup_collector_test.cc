#include "collectors/cgroup/cgroup_collector.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "base/build_options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/cgroup_collect.h"
#include "tests/support/collector_test_base.h"
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

// A small v2 host: /, /system.slice and one service in it.
struct V2Host {
  V2Host() {
    fs_.AddFile(HostRoot::kProc, "1/mountinfo", kV2Mountinfo);
    AddCgroup("");
    AddCgroup("/system.slice");
    AddCgroup("/system.slice/web.service");
    const std::string web = "fs/cgroup/system.slice/web.service/";
    fs_.AddFile(HostRoot::kSys, web + "cpu.stat",
                "usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 50\n"
                "nr_throttled 5\nthrottled_usec 250000\n");
    fs_.AddFile(HostRoot::kSys, web + "cpu.max", "50000 100000\n");
    fs_.AddFile(HostRoot::kSys, web + "memory.current", "1048576\n");
    fs_.AddFile(HostRoot::kSys, web + "memory.stat",
                "anon 524288\nfile 262144\ninactive_file 131072\n");
    fs_.AddFile(HostRoot::kSys, web + "memory.max", "max\n");
    fs_.AddFile(HostRoot::kSys, web + "pids.current", "7\n");
    fs_.AddFile(HostRoot::kSys, web + "pids.max", "100\n");
  }

  void AddCgroup(const std::string& path) {
    fs_.AddDir(HostRoot::kSys, "fs/cgroup" + path);
    fs_.AddFile(HostRoot::kSys, "fs/cgroup" + path + "/cgroup.procs", "");
  }

  // Runs one collection; returns the status and the exposition text.
  std::pair<absl::Status, std::string> Collect(CgroupCollectorOptions options = {}) {
    testing::CgroupCollection c = testing::CollectCgroupsOnce(fs_, logger_, options);
    return {c.status, c.text};
  }

  FakeHostFs fs_;
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
};

class CgroupCollectorTest : public ::testing::Test, protected V2Host {};

TEST_F(CgroupCollectorTest, ReadsAV2Cgroup) {
  auto [status, text] = Collect();
  ASSERT_TRUE(status.ok()) << status;
  const std::string web = "{cgroup=\"/system.slice/web.service\"";
  EXPECT_EQ(SampleValue(text, "strata_cgroup_mode_info{mode=\"v2\"}"), 1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_cpu_usage_seconds_total" + web + ",mode=\"user\"}"),
            2);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_cpu_usage_seconds_total" + web + ",mode=\"system\"}"),
            1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_cpu_throttled_seconds_total" + web + "}"), 0.25);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_cpu_limit_cores" + web + "}"), 0.5);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_memory_working_set_bytes" + web + "}"),
            1048576 - 131072);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_memory_rss_bytes" + web + "}"), 524288);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_memory_limit_bytes" + web + "}"), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_pids_limit" + web + "}"), 100);
  EXPECT_EQ(SampleValue(
                text, "strata_cgroup_info" + web +
                          ",kind=\"service\",runtime=\"systemd\",id=\"web.service\",name=\"web\"}"),
            1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"service\"}"), 0.5);
}

// 2^64-1 in memory.max was exported as a limit of 18 EB and summed into the
// committed memory, so the sum said nothing.
TEST_F(CgroupCollectorTest, NoLimitValuesAreNeitherLimitsNorCommitted) {
  const std::string web = "fs/cgroup/system.slice/web.service/";
  fs_.AddFile(HostRoot::kSys, web + "memory.max", "18446744073709551615\n");
  fs_.AddFile(HostRoot::kSys, web + "pids.max", "18446744073709551615\n");
  fs_.AddFile(HostRoot::kSys, web + "cpu.max", "18446744073709551615 100000\n");
  AddCgroup("/system.slice/db.service");
  const std::string db = "fs/cgroup/system.slice/db.service/";
  fs_.AddFile(HostRoot::kSys, db + "memory.max", "1073741824\n");
  fs_.AddFile(HostRoot::kSys, db + "cpu.max", "200000 100000\n");
  fs_.AddFile(HostRoot::kSys, db + "pids.max", "9223372036854771712\n");
  auto [status, text] = Collect();
  ASSERT_TRUE(status.ok()) << status;
  const std::string web_label = "{cgroup=\"/system.slice/web.service\"}";
  const std::string db_label = "{cgroup=\"/system.slice/db.service\"}";
  EXPECT_EQ(SampleValue(text, "strata_cgroup_memory_limit_bytes" + web_label), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_pids_limit" + web_label), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_cpu_limit_cores" + web_label), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_pids_limit" + db_label), std::nullopt);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_memory_limit_bytes" + db_label), 1073741824);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_memory_bytes{kind=\"service\"}"),
            1073741824);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_committed_cpu_cores{kind=\"service\"}"), 2);
}

#if STRATA_WITH_DOCKER_API
// stat(2) looked at the exporter's own /var/run/docker.sock, whatever
// --path.rootfs said.
TEST_F(CgroupCollectorTest, TheEngineSocketIsLookedForBelowTheRootfs) {
  CgroupCollectorOptions options;
  options.docker_socket = "/var/run/docker.sock";
  CollectorContext context{fs_, logger_};
  auto collector = NewCgroupCollector(context, options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  std::vector<prometheus::MetricFamily> families;
  ASSERT_TRUE((*collector)->Collect(families).ok());
  EXPECT_THAT(log_.str(), ::testing::ContainsRegex("socket=/fake/root/+var/run/docker.sock"));
}

// Below a rootfs, Debian's /var/run is an absolute link to /run: the engine
// socket it leads to is the host's, at <rootfs>/run, never the exporter's own
// /run/docker.sock.
TEST_F(CgroupCollectorTest, TheEngineSocketPathResolvesItsLinksBelowTheRootfs) {
  std::string templ = (std::filesystem::temp_directory_path() / "strata-rootfs-XXXXXX").string();
  const std::filesystem::path rootfs = mkdtemp(templ.data());
  std::filesystem::create_directories(rootfs / "run");
  std::filesystem::create_directories(rootfs / "var");
  std::filesystem::create_symlink("/run", rootfs / "var/run");
  const std::string socket_path = (rootfs / "run/docker.sock").string();
  // Listens and never answers: the request times out naming where it went.
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
  std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 4), 0);

  const std::string expected = std::filesystem::canonical(rootfs / "run").string() + "/docker.sock";
  std::unique_ptr<HostFs> real = testing::RealHostFsWithRootfs(rootfs);
  testing::RootfsFromElsewhere host(fs_, *real);
  CgroupCollectorOptions options;
  options.docker_socket = "/var/run/docker.sock";
  options.docker_timeout = absl::Milliseconds(200);
  CollectorContext context{host, logger_};
  auto collector = NewCgroupCollector(context, options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  std::vector<prometheus::MetricFamily> families;
  absl::Status status = (*collector)->Collect(families);
  close(listener);
  std::filesystem::remove_all(rootfs);
  EXPECT_THAT(status.ToString() + log_.str(), HasSubstr("unix socket " + expected));
  EXPECT_THAT(log_.str(), Not(HasSubstr("no container engine socket")));
}
#endif

TEST_F(CgroupCollectorTest, FiltersAndCapAreCounted) {
  CgroupCollectorOptions options;
  options.path_exclude = "^/$";
  options.max_cgroups = 1;
  auto [status, text] = Collect(options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(SampleValue(text, "strata_cgroup_skipped{reason=\"filter\"}"), 1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_skipped{reason=\"cap\"}"), 1);
  EXPECT_EQ(SampleValue(text, "strata_cgroup_skipped{reason=\"vanished\"}"), 0);
  EXPECT_THAT(text, HasSubstr("cgroup=\"/system.slice\""));
  EXPECT_THAT(text, Not(HasSubstr("cgroup=\"/system.slice/web.service\"")));
}

// The filters take node_exporter's (Go's RE2) syntax: a case-insensitive group
// and a character class, which std::regex refused at start-up.
TEST_F(CgroupCollectorTest, FiltersTakeNodeExporterPatterns) {
  CgroupCollectorOptions options;
  options.path_include = "(?i)^/SYSTEM\\.slice/[[:alpha:]]+\\.service$";
  auto [status, text] = Collect(options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(text, HasSubstr("cgroup=\"/system.slice/web.service\""));
  EXPECT_THAT(text, Not(HasSubstr("cgroup=\"/system.slice\"")));
  EXPECT_EQ(SampleValue(text, "strata_cgroup_skipped{reason=\"filter\"}"), 2);
}

TEST_F(CgroupCollectorTest, DepthLimitStopsTheWalk) {
  CgroupCollectorOptions options;
  options.max_depth = 1;
  auto [status, text] = Collect(options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(text, HasSubstr("cgroup=\"/system.slice\""));
  EXPECT_THAT(text, Not(HasSubstr("web.service")));
}

TEST_F(CgroupCollectorTest, ACgroupVanishingMidWalkIsCountedNotAnError) {
  AddCgroup("/system.slice/gone.scope");
  fs_.FailWith(HostRoot::kSys, "fs/cgroup/system.slice/gone.scope",
               absl::NotFoundError("opendir gone.scope: No such file or directory"));
  auto [status, text] = Collect();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(SampleValue(text, "strata_cgroup_skipped{reason=\"vanished\"}"), 1);
  EXPECT_THAT(text, Not(HasSubstr("gone.scope")));
}

// Malformed kernel files: a clear error naming the file, the rest still reported.
TEST_F(CgroupCollectorTest, MalformedFilesGivePartialResultsAndAClearError) {
  struct Case {
    const char* file;
    const char* contents;
    const char* missing_series;
  };
  const Case cases[] = {
      {"memory.stat", "anon 524288\nfile", "strata_cgroup_memory_rss_bytes"},
      {"cpu.stat", "usage_usec 3000000\nuser_usec lots\n", "strata_cgroup_cpu_usage_seconds_total"},
      {"memory.current", "max\n", "strata_cgroup_memory_usage_bytes"},
      {"pids.current", "", "strata_cgroup_pids{"},
      {"cpu.max", "fast 100000\n", "strata_cgroup_cpu_limit_cores"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    V2Host host;
    host.fs_.AddFile(HostRoot::kSys, std::string("fs/cgroup/system.slice/web.service/") + c.file,
                     c.contents);
    auto [status, text] = host.Collect();
    EXPECT_TRUE(absl::IsDataLoss(status)) << status;
    EXPECT_THAT(status.message(),
                HasSubstr(std::string("fs/cgroup/system.slice/web.service/") + c.file));
    EXPECT_THAT(text,
                Not(HasSubstr(std::string(c.missing_series) + "{cgroup=\"/system.slice/web")));
    // Everything else about the cgroup is still there.
    EXPECT_EQ(SampleValue(text, "strata_cgroup_pids_limit{cgroup=\"/system.slice/web.service\"}"),
              100);
  }
}

TEST_F(CgroupCollectorTest, UnreadableFileIsReported) {
  fs_.FailWith(
      HostRoot::kSys, "fs/cgroup/system.slice/web.service/memory.stat",
      absl::PermissionDeniedError("open /sys/fs/cgroup/system.slice/web.service/memory.stat: "
                                  "Permission denied"));
  auto [status, text] = Collect();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("Permission denied"));
  EXPECT_EQ(SampleValue(text, "strata_cgroup_pids{cgroup=\"/system.slice/web.service\"}"), 7);
}

TEST_F(CgroupCollectorTest, NoCgroupMountIsQuiet) {
  FakeHostFs empty;
  empty.AddFile(HostRoot::kProc, "1/mountinfo", "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n");
  CollectorContext context{empty, logger_};
  auto collector = NewCgroupCollector(context, {});
  std::vector<prometheus::MetricFamily> families;
  EXPECT_TRUE((*collector)->Collect(families).ok());
  EXPECT_TRUE(families.empty());
}

TEST_F(CgroupCollectorTest, UnreadableMountinfoIsAFailure) {
  FakeHostFs empty;
  CollectorContext context{empty, logger_};
  auto collector = NewCgroupCollector(context, {});
  std::vector<prometheus::MetricFamily> families;
  EXPECT_TRUE(absl::IsNotFound((*collector)->Collect(families)));
}

TEST(CgroupCollectorOptions, BadRegexIsAStartUpError) {
  FakeHostFs fs;
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  CgroupCollectorOptions options;
  options.path_exclude = "([unclosed";
  auto collector = NewCgroupCollector({fs, logger}, options);
  ASSERT_FALSE(collector.ok());
  EXPECT_THAT(collector.status().message(), HasSubstr("--collector.cgroup.path-exclude"));
  // A backreference is valid for std::regex but not RE2 (nor Go).
  options.path_exclude = "";
  options.path_include = "(a)\\1";
  collector = NewCgroupCollector({fs, logger}, options);
  ASSERT_FALSE(collector.ok());
  EXPECT_THAT(collector.status().message(), HasSubstr("--collector.cgroup.path-include"));
}

}  // namespace
}  // namespace strata
