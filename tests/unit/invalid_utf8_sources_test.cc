// Every source of host bytes that reaches a label, with bytes that are not
// UTF-8: a cgroup directory name (a fake tree, and a real directory made in
// this machine's cgroup hierarchy), an os-release field, Puppet summary and
// report fields, and a drift baseline path in Latin-1. Each collector runs
// behind the Scraper, as in the exporter; the exposition must be valid UTF-8
// that promtool accepts, with the replacements counted. Before the Scraper
// made labels valid, Prometheus refused such a scrape whole.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/build_options.h"
#include "base/utf8.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/drift/drift_collector.h"
#include "collectors/drift/drift_hasher.h"
#include "collectors/image/image_collector.h"
#include "collectors/puppet/puppet_collector.h"
#include "exporter/scraper.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/fake_host_fs.h"
#include "tests/support/test_files.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::FakeHostFs;
using ::testing::HasSubstr;

constexpr char kFffd[] = "\xef\xbf\xbd";

// What the exporter would serve for one collector.
struct Served {
  std::string text;
  double replaced = -1;  // strata_exposition_invalid_utf8_replacements_total
  bool success = false;
};

Served Serve(const std::string& name, std::unique_ptr<Collector> collector) {
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({name, std::move(collector)});
  Scraper scraper(std::move(collectors), logger);
  absl::StatusOr<std::vector<prometheus::MetricFamily>> families =
      scraper.Scrape({}, absl::Now() + absl::Seconds(10));
  EXPECT_TRUE(families.ok()) << families.status();
  Served served;
  if (!families.ok()) return served;
  served.text = prometheus::TextSerializer().Serialize(*families);
  const std::string collector_label = absl::StrCat("{collector=\"", name, "\"}");
  served.replaced =
      testing::SampleValue(served.text,
                           "strata_exposition_invalid_utf8_replacements_total" + collector_label)
          .value_or(-1);
  served.success =
      testing::SampleValue(served.text, "strata_scrape_collector_success" + collector_label) == 1.0;
  EXPECT_TRUE(scraper.AwaitIdle(absl::Now() + absl::Seconds(10)));
  return served;
}

// Valid UTF-8 with `want` replaced sequences, and promtool (Prometheus' own
// text parser, which refuses invalid UTF-8) accepts it.
void ExpectServable(const Served& served, double want) {
  EXPECT_TRUE(IsValidUtf8(served.text)) << served.text;
  EXPECT_EQ(served.replaced, want) << served.text;
  EXPECT_THAT(served.text, HasSubstr(kFffd));
  testing::CommandResult lint =
      testing::RunCommand({STRATA_PROMTOOL, "check", "metrics"}, served.text);
  EXPECT_EQ(lint.exit_code, 0) << lint.output << served.text;
}

constexpr char kV2Mountinfo[] =
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";

// Any user can make such a directory in their delegated user@UID.service subtree.
TEST(InvalidUtf8Source, CgroupDirectoryNameInAFakeTree) {
  FakeHostFs host;
  host.AddFile(HostRoot::kProc, "1/mountinfo", kV2Mountinfo);
  for (const std::string path : {"", "/user.slice", "/user.slice/caf\xe9-\xff.scope"}) {
    host.AddDir(HostRoot::kSys, "fs/cgroup" + path);
    host.AddFile(HostRoot::kSys, "fs/cgroup" + path + "/cgroup.procs", "");
    host.AddFile(HostRoot::kSys, "fs/cgroup" + path + "/pids.current", "3\n");
  }
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  CgroupCollectorOptions options;
  options.docker_socket = "";
  options.path_exclude = "^$";
  auto collector = NewCgroupCollector(CollectorContext{host, logger}, options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  Served served = Serve("cgroup", *std::move(collector));
  EXPECT_TRUE(served.success) << served.text;
  // Each sample of the cgroup carries its path once; two bad bytes each.
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("/user.slice/caf", kFffd, "-", kFffd, ".scope")));
  ASSERT_GT(served.replaced, 0);
  ExpectServable(served, served.replaced);
}

// A real directory in this machine's cgroup2 hierarchy (or a v1 one), made
// by the test and removed after.
TEST(InvalidUtf8Source, CgroupDirectoryNameOnThisMachine) {
  std::string base;
  for (const std::string& mount : testing::CgroupMountPoints()) {
    if (access(mount.c_str(), W_OK) == 0) {
      base = mount;
      if (mount == "/sys/fs/cgroup" || mount == "/sys/fs/cgroup/unified") break;
    }
  }
  if (base.empty()) GTEST_SKIP() << "no writable cgroup hierarchy here";
  const std::string name = absl::StrCat("strata-test-utf8-", getpid(), "-caf\xe9");
  const fs::path dir = fs::path(base) / name;
  if (mkdir(dir.c_str(), 0755) != 0) GTEST_SKIP() << "cannot mkdir " << dir << ": " << errno;
  struct Remove {
    fs::path dir;
    ~Remove() { rmdir(dir.c_str()); }
  } remove{dir};

  std::unique_ptr<HostFs> host = NewRealHostFs(HostPaths{});
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  CgroupCollectorOptions options;
  options.docker_socket = "";
  options.path_include = absl::StrCat("^/strata-test-utf8-", getpid(), "-");
  auto collector = NewCgroupCollector(CollectorContext{*host, logger}, options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  Served served = Serve("cgroup", *std::move(collector));
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("-caf", kFffd, "\"")));
  ASSERT_GT(served.replaced, 0);
  ExpectServable(served, served.replaced);
}

TEST(InvalidUtf8Source, OsReleaseField) {
  FakeHostFs host;
  host.AddFile(HostRoot::kRootfs, "etc/os-release",
               "ID=debian\nVERSION_ID=\"12-caf\xe9\"\nIMAGE_ID=\"\xc0\xaf\"\n");
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Served served = Serve("image", NewImageCollector(CollectorContext{host, logger}, {}));
  EXPECT_TRUE(served.success) << served.text;
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("os_version=\"12-caf", kFffd, "\"")));
  ExpectServable(served, 3);
}

#if STRATA_WITH_PUPPET
std::string PuppetFixture(const std::string& path) {
  std::ifstream in(fs::path(STRATA_SOURCE_DIR) /
                   "tests/fixtures/puppet/puppet-7.23-debian12-noop-drift/rootfs" / path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr char kSummary[] = "var/cache/puppet/public/last_run_summary.yaml";
constexpr char kReport[] = "var/cache/puppet/state/last_run_report.yaml";

TEST(InvalidUtf8Source, PuppetSummaryField) {
  FakeHostFs host;
  const std::string summary = PuppetFixture(kSummary);
  ASSERT_THAT(summary, HasSubstr("converged_environment: production"));
  host.AddFile(HostRoot::kRootfs, kSummary,
               absl::StrReplaceAll(summary, {{"converged_environment: production",
                                              "converged_environment: caf\xe9"}}));
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Served served = Serve("puppet", NewPuppetCollector(CollectorContext{host, logger}, {}));
  EXPECT_TRUE(served.success) << served.text << log.str();
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("caf", kFffd, "\"")));
  ASSERT_GT(served.replaced, 0);
  ExpectServable(served, served.replaced);
}

// The report's fields are served when there is no summary (Puppet failed to
// write it, or a run was interrupted).
TEST(InvalidUtf8Source, PuppetReportField) {
  FakeHostFs host;
  const std::string report = PuppetFixture(kReport);
  ASSERT_THAT(report, HasSubstr("\nenvironment: production\n"));
  ASSERT_THAT(report, HasSubstr("\npuppet_version: 7.23.0\n"));
  host.AddFile(HostRoot::kRootfs, kReport,
               absl::StrReplaceAll(
                   report, {{"\nenvironment: production\n", "\nenvironment: caf\xe9-prod\n"},
                            {"\npuppet_version: 7.23.0\n", "\npuppet_version: 7.23.0-\xff\n"}}));
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  Served served = Serve("puppet", NewPuppetCollector(CollectorContext{host, logger}, {}));
  EXPECT_TRUE(served.success) << served.text << log.str();
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("caf", kFffd, "-prod\"")));
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("7.23.0-", kFffd, "\"")));
  ExpectServable(served, 2);
}
#endif

#if STRATA_WITH_DRIFT
std::string Sha256Hex(const std::string& text) {
  FakeHostFs host;
  host.AddFile(HostRoot::kRootfs, "text", text);
  return *Sha256HexOfFile(host, HostRoot::kRootfs, "text", nullptr);
}

TEST(InvalidUtf8Source, DriftBaselinePathInLatin1) {
  FakeHostFs host;
  host.AddFile(HostRoot::kRootfs, "/etc/caf\xe9.conf", "edited\n");
  host.AddFile(HostRoot::kRootfs, "base", Sha256Hex("original\n") + "  /etc/caf\xe9.conf\n");
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  DriftCollectorOptions options;
  options.files = {"etc=base"};
  auto collector = NewDriftCollector(CollectorContext{host, logger}, options);
  ASSERT_TRUE(collector.ok()) << collector.status();
  Served served = Serve("drift", *std::move(collector));
  EXPECT_TRUE(served.success) << served.text << log.str();
  EXPECT_THAT(served.text, HasSubstr(absl::StrCat("path=\"/etc/caf", kFffd, ".conf\"")));
  ExpectServable(served, 1);
}
#endif

}  // namespace
}  // namespace strata
