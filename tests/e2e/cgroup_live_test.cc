// The cgroup collector against real cgroups on this kernel: the test makes
// strata-test-* cgroups in the v1 cpu, cpuacct, memory and pids hierarchies
// and in the cgroup2 mount, runs a busy process in them under a CPU quota of
// 0.2 cores, scrapes the real binary, and checks every value against the
// kernel's own files read just before and just after the scrape.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCgroupRoot = "/sys/fs/cgroup";
constexpr const char* kV1Controllers[] = {"cpu", "cpuacct", "memory", "pids"};
constexpr size_t kChargedBytes = 8 << 20;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Write(const fs::path& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  return out.good();
}

double Number(const std::string& text) {
  double value = -1;
  EXPECT_TRUE(absl::SimpleAtod(absl::StripAsciiWhitespace(text), &value)) << text;
  return value;
}

// "key value" file -> value of `key`.
double Keyed(const std::string& text, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() == 2 && fields[0] == key) return Number(fields[1]);
  }
  ADD_FAILURE() << "no " << key << " in " << text;
  return -1;
}

// "some avg10=... total=N" -> N microseconds as seconds.
double PressureTotalSeconds(const std::string& text, const std::string& kind) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, kind + " ")) continue;
    size_t at = line.find("total=");
    return Number(std::string(line.substr(at + 6))) / 1e6;
  }
  ADD_FAILURE() << "no " << kind << " line in " << text;
  return -1;
}

// Counter values the kernel reports for the test cgroup at one moment.
struct KernelReading {
  double user_seconds, system_seconds, periods, throttled_periods, throttled_seconds;
  double cpu_waiting_seconds;
  double memory_usage_bytes;
};

class LiveCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kCgroupRoot / "cpu/cpu.cfs_quota_us") ||
        !fs::exists(kCgroupRoot / "unified/cgroup.procs")) {
      GTEST_SKIP() << "needs the hybrid layout of the CI machines (v1 cpu + cgroup2 at unified)";
    }
    name_ = absl::StrCat("strata-test-", getpid());
    for (const char* controller : kV1Controllers) dirs_.push_back(kCgroupRoot / controller / name_);
    dirs_.push_back(kCgroupRoot / "unified" / name_);
    for (const fs::path& dir : dirs_) ASSERT_TRUE(fs::create_directory(dir)) << dir;
    ASSERT_TRUE(Write(kCgroupRoot / "cpu" / name_ / "cpu.cfs_period_us", "100000"));
    ASSERT_TRUE(Write(kCgroupRoot / "cpu" / name_ / "cpu.cfs_quota_us", "20000"));
    ASSERT_TRUE(Write(kCgroupRoot / "memory" / name_ / "memory.limit_in_bytes", "67108864"));
    ASSERT_TRUE(Write(kCgroupRoot / "pids" / name_ / "pids.max", "50"));

    busy_ = fork();
    ASSERT_GE(busy_, 0);
    if (busy_ == 0) {
      // Wait until the parent has moved us; then memory charged from now on is
      // the cgroup's, and the loop runs into the quota.
      sleep(1);
      volatile char* charged = static_cast<char*>(malloc(kChargedBytes));
      for (size_t page = 0; page < kChargedBytes; page += 4096) charged[page] = 1;
      volatile unsigned long spin = 0;
      while (true) ++spin;
    }
    for (const fs::path& dir : dirs_) {
      ASSERT_TRUE(Write(dir / "cgroup.procs", std::to_string(busy_))) << dir;
    }
  }

  void TearDown() override {
    if (busy_ > 0) {
      kill(busy_, SIGKILL);
      waitpid(busy_, nullptr, 0);
    }
    for (const fs::path& dir : dirs_) {
      // Children a failed test left behind, deepest first.
      std::vector<fs::path> children;
      std::error_code error;
      for (auto it = fs::recursive_directory_iterator(dir, error);
           !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (it->is_directory()) children.push_back(it->path());
      }
      for (auto child = children.rbegin(); child != children.rend(); ++child) {
        rmdir(child->c_str());
      }
      // The killed task can take a moment to leave the cgroup.
      for (int i = 0; i < 100 && fs::exists(dir) && rmdir(dir.c_str()) != 0; ++i) {
        absl::SleepFor(absl::Milliseconds(20));
      }
      EXPECT_FALSE(fs::exists(dir)) << "could not remove " << dir;
    }
  }

  KernelReading ReadKernel() const {
    const fs::path cpu = kCgroupRoot / "cpu" / name_;
    const fs::path cpuacct = kCgroupRoot / "cpuacct" / name_;
    KernelReading r;
    if (fs::exists(cpuacct / "cpuacct.usage_user")) {
      r.user_seconds = Number(Read(cpuacct / "cpuacct.usage_user")) / 1e9;
      r.system_seconds = Number(Read(cpuacct / "cpuacct.usage_sys")) / 1e9;
    } else {
      r.user_seconds = Keyed(Read(cpuacct / "cpuacct.stat"), "user") / 100;
      r.system_seconds = Keyed(Read(cpuacct / "cpuacct.stat"), "system") / 100;
    }
    const std::string stat = Read(cpu / "cpu.stat");
    r.periods = Keyed(stat, "nr_periods");
    r.throttled_periods = Keyed(stat, "nr_throttled");
    r.throttled_seconds = Keyed(stat, "throttled_time") / 1e9;
    r.cpu_waiting_seconds =
        PressureTotalSeconds(Read(kCgroupRoot / "unified" / name_ / "cpu.pressure"), "some");
    r.memory_usage_bytes = Number(Read(kCgroupRoot / "memory" / name_ / "memory.usage_in_bytes"));
    return r;
  }

  // The exporter with only the cgroup collector, reporting the cgroups whose
  // path the include pattern finds, without a container engine.
  static std::vector<std::string> CgroupOnlyArgs(const std::string& include,
                                                 std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--web.listen-address=127.0.0.1:0",
                                     "--collector.disable-defaults", "--collector.cgroup",
                                     "--collector.cgroup.path-include=" + include};
    for (const std::string& flag : NoContainerEngineFlags()) args.push_back(flag);
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::string Series(const std::string& metric, const std::string& extra = "") const {
    return absl::StrCat(metric, "{cgroup=\"/", name_, "\"", extra, "}");
  }

  std::string name_;
  std::vector<fs::path> dirs_;
  pid_t busy_ = -1;
};

// Checks before <= value <= after for a counter read between two kernel reads.
void ExpectBetween(const std::string& exposition, const std::string& series, double before,
                   double after) {
  std::optional<double> value = SampleValue(exposition, series);
  ASSERT_TRUE(value.has_value()) << series << " missing";
  // The exporter scales nanoseconds by 1e-9 and the test divides by 1e9:
  // allow for the last bit of a double.
  const double slack = 1e-12 * std::max(1.0, after);
  EXPECT_GE(*value, before - slack) << series;
  EXPECT_LE(*value, after + slack) << series;
}

TEST_F(LiveCgroupTest, ReportsWhatTheKernelReportsUnderAQuota) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(CgroupOnlyArgs("^/" + name_ + "$"))) << exporter.stderr_text();
  // Let the busy loop run into its quota for a while.
  absl::SleepFor(absl::Seconds(2.5));

  const KernelReading before = ReadKernel();
  HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
  const KernelReading after = ReadKernel();
  ASSERT_TRUE(scrape.ok) << scrape.error;
  const std::string& body = scrape.body;

  EXPECT_EQ(SampleValue(body, "strata_scrape_collector_success{collector=\"cgroup\"}"), 1)
      << exporter.stderr_text();
  EXPECT_EQ(SampleValue(body, "strata_cgroup_mode_info{mode=\"hybrid\"}"), 1);
  EXPECT_EQ(SampleValue(
                body, absl::StrCat("strata_cgroup_info{cgroup=\"/", name_,
                                   "\",kind=\"other\",runtime=\"\",id=\"", name_, "\",name=\"\"}")),
            1);

  ExpectBetween(body, Series("strata_cgroup_cpu_usage_seconds_total", ",mode=\"user\""),
                before.user_seconds, after.user_seconds);
  ExpectBetween(body, Series("strata_cgroup_cpu_usage_seconds_total", ",mode=\"system\""),
                before.system_seconds, after.system_seconds);
  ExpectBetween(body, Series("strata_cgroup_cpu_periods_total"), before.periods, after.periods);
  ExpectBetween(body, Series("strata_cgroup_cpu_throttled_periods_total"), before.throttled_periods,
                after.throttled_periods);
  ExpectBetween(body, Series("strata_cgroup_cpu_throttled_seconds_total"), before.throttled_seconds,
                after.throttled_seconds);
  ExpectBetween(body, Series("strata_cgroup_pressure_cpu_waiting_seconds_total"),
                before.cpu_waiting_seconds, after.cpu_waiting_seconds);

  // The quota holds the busy loop to 0.2 cores, and the kernel throttled it.
  EXPECT_GT(before.throttled_periods, 0);
  EXPECT_GT(before.user_seconds + before.system_seconds, 0.1);
  EXPECT_LT(before.user_seconds + before.system_seconds, 0.2 * 4.0);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_limit_cores")), 0.2);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_memory_limit_bytes")), 67108864);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_pids_limit")), 50);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_pids")), 1);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_weight")), 100);
  std::optional<double> usage = SampleValue(body, Series("strata_cgroup_memory_usage_bytes"));
  ASSERT_TRUE(usage.has_value());
  EXPECT_GE(*usage, kChargedBytes);
  EXPECT_GE(*usage, std::min(before.memory_usage_bytes, after.memory_usage_bytes));
  EXPECT_LE(*usage, std::max(before.memory_usage_bytes, after.memory_usage_bytes));
  EXPECT_EQ(SampleValue(body, "strata_cgroup_committed_cpu_cores{kind=\"other\"}"), 0.2);

  // A second scrape sees the counters grow, as the kernel's do.
  absl::SleepFor(absl::Milliseconds(500));
  HttpResult again = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
  EXPECT_GT(SampleValue(again.body, Series("strata_cgroup_cpu_periods_total")),
            SampleValue(body, Series("strata_cgroup_cpu_periods_total")));
  EXPECT_GT(SampleValue(again.body, Series("strata_cgroup_cpu_throttled_seconds_total")),
            SampleValue(body, Series("strata_cgroup_cpu_throttled_seconds_total")));
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
}

TEST_F(LiveCgroupTest, AVanishedCgroupIsCountedNotAnError) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(CgroupOnlyArgs("^/" + name_))) << exporter.stderr_text();
  // Remove the cgroup between scrapes: it just disappears from the output.
  kill(busy_, SIGKILL);
  waitpid(busy_, nullptr, 0);
  busy_ = -1;
  for (const fs::path& dir : dirs_) {
    for (int i = 0; i < 100 && rmdir(dir.c_str()) != 0; ++i) absl::SleepFor(absl::Milliseconds(20));
  }
  HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
  EXPECT_EQ(SampleValue(scrape.body, "strata_scrape_collector_success{collector=\"cgroup\"}"), 1);
  EXPECT_EQ(SampleValue(scrape.body, Series("strata_cgroup_pids")), std::nullopt);
}

// The tree is listed once and then kept true by watching its directories:
// a cgroup made, renamed or removed between two scrapes shows in the next,
// with the default rescan interval (a minute) far away.
TEST_F(LiveCgroupTest, CgroupsMadeRenamedOrRemovedBetweenScrapesShowInTheNext) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(CgroupOnlyArgs("^/" + name_))) << exporter.stderr_text();
  const std::string url = absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics");
  auto pids_of = [&](const std::string& child) {
    return SampleValue(HttpGet(url).body,
                       absl::StrCat("strata_cgroup_pids{cgroup=\"/", name_, "/", child, "\"}"));
  };
  auto in_every_hierarchy = [&](const std::string& child, auto change) {
    for (const fs::path& dir : dirs_) change(dir / child);
  };
  EXPECT_EQ(pids_of("child"), std::nullopt);

  in_every_hierarchy("child", [](const fs::path& dir) { fs::create_directory(dir); });
  EXPECT_EQ(pids_of("child"), 0);
  // v1 hierarchies rename cgroups; cgroup2 refuses (EPERM), so there it is made anew.
  in_every_hierarchy("child", [](const fs::path& dir) {
    if (dir.parent_path().parent_path().filename() == "unified") {
      rmdir(dir.c_str());
      fs::create_directory(dir.parent_path() / "renamed");
    } else {
      fs::rename(dir, dir.parent_path() / "renamed");
    }
  });
  EXPECT_EQ(pids_of("child"), std::nullopt);
  EXPECT_EQ(pids_of("renamed"), 0);
  in_every_hierarchy("renamed/grandchild", [](const fs::path& dir) { fs::create_directory(dir); });
  EXPECT_EQ(pids_of("renamed/grandchild"), 0);
  in_every_hierarchy("renamed/grandchild", [](const fs::path& dir) { rmdir(dir.c_str()); });
  in_every_hierarchy("renamed", [](const fs::path& dir) { rmdir(dir.c_str()); });
  HttpResult scrape = HttpGet(url);
  EXPECT_EQ(
      SampleValue(scrape.body, absl::StrCat("strata_cgroup_pids{cgroup=\"/", name_, "/renamed\"}")),
      std::nullopt);
  // Gone before the scrape: not a cgroup that vanished while being read.
  EXPECT_EQ(SampleValue(scrape.body, "strata_cgroup_skipped{reason=\"vanished\"}"), 0);
  EXPECT_EQ(SampleValue(scrape.body, Series("strata_cgroup_pids")), 1);
}

// With --collector.cgroup.keep-files-open the files stay open between
// scrapes; a cgroup removed and made again under the same name is read anew,
// not through the removed one's descriptors.
TEST_F(LiveCgroupTest, KeptFilesFollowACgroupRemovedAndMadeAgain) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(CgroupOnlyArgs("^/" + name_, {"--collector.cgroup.keep-files-open"})))
      << exporter.stderr_text();
  const std::string url = absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics");
  const fs::path child = kCgroupRoot / "pids" / name_ / "again";
  const std::string series =
      absl::StrCat("strata_cgroup_pids_limit{cgroup=\"/", name_, "/again\"}");
  auto open_files = [&] {
    return std::distance(fs::directory_iterator(absl::StrCat("/proc/", exporter.pid(), "/fd")),
                         fs::directory_iterator());
  };
  const auto before = open_files();
  ASSERT_TRUE(fs::create_directory(child));
  ASSERT_TRUE(Write(child / "pids.max", "7"));
  EXPECT_EQ(SampleValue(HttpGet(url).body, series), 7);
  // Every file of both cgroups read once is kept: at least a dozen.
  EXPECT_GE(open_files() - before, 12);
  EXPECT_EQ(SampleValue(HttpGet(url).body, series), 7);

  ASSERT_EQ(rmdir(child.c_str()), 0);
  ASSERT_TRUE(fs::create_directory(child));
  ASSERT_TRUE(Write(child / "pids.max", "9"));
  HttpResult scrape = HttpGet(url);
  EXPECT_EQ(SampleValue(scrape.body, series), 9);
  EXPECT_EQ(SampleValue(scrape.body, "strata_scrape_collector_success{collector=\"cgroup\"}"), 1);
  // The values still follow the kernel: the busy task's cgroup counts it.
  EXPECT_EQ(SampleValue(scrape.body, Series("strata_cgroup_pids")), 1);
  const auto with_child = open_files();

  ASSERT_EQ(rmdir(child.c_str()), 0);
  scrape = HttpGet(url);
  EXPECT_EQ(SampleValue(scrape.body, series), std::nullopt);
  // The removed cgroup's files (pids.current, pids.max) are closed by the end of the scrape.
  EXPECT_LE(open_files(), with_child - 2);
}

}  // namespace
}  // namespace strata::testing
