#include "collectors/cfengine/cfengine_collector.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "collectors/cfengine/cfengine_summary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/collector_test_base.h"
#include "tests/support/fake_host_fs.h"
#include "tests/support/family_lookup.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::Collected;
using testing::FakeHostFs;
using testing::FindSample;
using ::testing::HasSubstr;
using testing::IsQuiet;
using testing::RealHostFsWithRootfs;
using testing::TempDir;

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/cfengine";

// Lines as cf-agent 3.21 wrote them (tests/fixtures/cfengine).
constexpr const char* kNotKeptLine =
    "1795318572,1795318572: Outcome of version strata-test not-kept 1 (agent-0): Promises "
    "observed to be kept 50.00%, Promises repaired 0.00%, Promises not repaired 50.00%";
constexpr const char* kKeptLine =
    "1795318571,1795318572: Outcome of version strata-test converge 1 (agent-0): Promises "
    "observed to be kept 100.00%, Promises repaired 0.00%, Promises not repaired 0.00%";

struct LineCase {
  std::string name;
  std::string line;
  int64_t start, end;
  std::string version;
  double kept, repaired, not_kept;
};

class OutcomeLineTest : public ::testing::TestWithParam<LineCase> {};

TEST_P(OutcomeLineTest, Parses) {
  const LineCase& c = GetParam();
  absl::StatusOr<CfengineOutcome> outcome = ParseCfengineOutcomeLine(c.line);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->start_seconds, c.start);
  EXPECT_EQ(outcome->end_seconds, c.end);
  EXPECT_EQ(outcome->policy_version, c.version);
  EXPECT_DOUBLE_EQ(outcome->kept_percent, c.kept);
  EXPECT_DOUBLE_EQ(outcome->repaired_percent, c.repaired);
  EXPECT_DOUBLE_EQ(outcome->not_kept_percent, c.not_kept);
}

INSTANTIATE_TEST_SUITE_P(
    Lines, OutcomeLineTest,
    ::testing::Values(
        LineCase{"cf_agent_3_21_not_kept", kNotKeptLine, 1795318572, 1795318572,
                 "strata-test not-kept 1", 50, 0, 50},
        LineCase{"cf_agent_3_21_kept", kKeptLine, 1795318571, 1795318572, "strata-test converge 1",
                 100, 0, 0},
        LineCase{"no_version_in_policy",
                 "1795317655,1795317655: Outcome of version (not specified) (agent-0): Promises "
                 "observed to be kept 100.00%, Promises repaired 0.00%, Promises not repaired "
                 "0.00%",
                 1795317655, 1795317655, "", 100, 0, 0},
        LineCase{"version_with_parentheses",
                 "1795317929,1795317929: Outcome of version mixed 1.0 (test) (agent-0): Promises "
                 "observed to be kept 0.00%, Promises repaired 50.00%, Promises not repaired "
                 "50.00%",
                 1795317929, 1795317929, "mixed 1.0 (test)", 0, 50, 50},
        LineCase{"older_releases_round_to_whole_percent",
                 "1400000000,1400000042: Outcome of version 3.5 (agent-1): Promises observed to "
                 "be kept 98%, Promises repaired 1%, Promises not repaired 1%",
                 1400000000, 1400000042, "3.5", 98, 1, 1},
        LineCase{"thirds",
                 "10,20: Outcome of version v (agent-0): Promises observed to be kept "
                 "33.33%, Promises repaired 33.33%, Promises not repaired 33.33%",
                 10, 20, "v", 33.33, 33.33, 33.33}),
    [](const auto& info) { return info.param.name; });

class MalformedLineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedLineTest, IsAnErrorQuotingTheLine) {
  absl::StatusOr<CfengineOutcome> outcome = ParseCfengineOutcomeLine(GetParam());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.status().message(), HasSubstr("not a cf-agent outcome line"));
  EXPECT_THAT(outcome.status().message(), HasSubstr(GetParam().substr(0, 20)));
}

INSTANTIATE_TEST_SUITE_P(
    Lines, MalformedLineTest,
    ::testing::Values(
        // Truncated mid-line.
        "1795318572,1795318572: Outcome of version strata-test (agent-0): Promises observed to "
        "be kept 50.00%, Promises rep",
        "1795318572,1795318572: Outcome of version strata-te",
        // A word where a number belongs.
        "start,1795318572: Outcome of version v (agent-0): Promises observed to be kept 50.00%, "
        "Promises repaired 0.00%, Promises not repaired 50.00%",
        "1,2: Outcome of version v (agent-0): Promises observed to be kept fifty%, Promises "
        "repaired 0.00%, Promises not repaired 50.00%",
        "1,2: Outcome of version v (agent-0): Promises observed to be kept 50.00, Promises "
        "repaired 0.00%, Promises not repaired 50.00%",
        "1,2: Outcome of version v (agent-0): Promises observed to be kept 150.00%, Promises "
        "repaired 0.00%, Promises not repaired 50.00%",
        "1,2: Outcome of version v (agent-0): Promises observed to be kept -5.00%, Promises "
        "repaired 0.00%, Promises not repaired 50.00%",
        "1: Outcome of version v (agent-0): Promises observed to be kept 50.00%, Promises "
        "repaired 0.00%, Promises not repaired 50.00%",
        "1,2: Outcome of version v: Promises observed to be kept 50.00%, Promises repaired "
        "0.00%, Promises not repaired 50.00%",
        "1,2: Outcome of version v (agent-0): Promises observed to be kept 50.00%, Promises not "
        "repaired 50.00%, Promises repaired 0.00%",
        "R: hello", "\x01\x02\x03"));

TEST(CfengineSummaryTail, TakesTheLastLine) {
  const std::string log = absl::StrCat(kKeptLine, "\n", kNotKeptLine, "\n");
  auto outcome = ParseCfengineSummaryTail(log, /*whole_file=*/true);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->has_value());
  EXPECT_EQ((*outcome)->not_kept_percent, 50);
}

TEST(CfengineSummaryTail, ToleratesAMissingFinalLineBreakAndCarriageReturns) {
  auto outcome = ParseCfengineSummaryTail(absl::StrCat(kNotKeptLine, "\r\n", kKeptLine), true);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ((*outcome)->kept_percent, 100);
  outcome = ParseCfengineSummaryTail(absl::StrCat(kKeptLine, "\r\n\n\n"), true);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ((*outcome)->kept_percent, 100);
}

TEST(CfengineSummaryTail, EmptyFileHoldsNoRun) {
  for (const char* text : {"", "\n", "  \n\n"}) {
    auto outcome = ParseCfengineSummaryTail(text, true);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_FALSE(outcome->has_value());
  }
}

TEST(CfengineSummaryTail, SkipsTheCutFirstLineOfAWindow) {
  const std::string full = absl::StrCat(kKeptLine, "\n", kNotKeptLine, "\n");
  // A window starting in the middle of the first line: that fragment is not a line.
  auto outcome = ParseCfengineSummaryTail(full.substr(30), /*whole_file=*/false);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ((*outcome)->not_kept_percent, 50);
}

TEST(CfengineSummaryTail, AWindowWithoutACompleteLineIsAnError) {
  for (const std::string& window :
       {std::string(kKeptLine).substr(10), std::string(kKeptLine).substr(10) + "\n"}) {
    auto outcome = ParseCfengineSummaryTail(window, /*whole_file=*/false);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status().code(), absl::StatusCode::kResourceExhausted);
  }
}

TEST(CfengineSummaryTail, GarbledLastLineIsAnErrorNotAnOlderRun) {
  auto outcome = ParseCfengineSummaryTail(absl::StrCat(kKeptLine, "\n", "1795318572,17953"), true);
  EXPECT_FALSE(outcome.ok());
}

// --- The collector ---------------------------------------------------------

constexpr const char* kDebian = "/var/log/cfengine3/promise_summary.log";
constexpr const char* kUpstream = "/var/cfengine/promise_summary.log";

class CfengineCollectorTest : public testing::CollectorTestBase {
 protected:
  Collected Collect(const HostFs& fs, CfengineCollectorOptions options = {}) {
    return CollectWith(fs, [&](const CollectorContext& context) {
      return NewCfengineCollector(context, options);
    });
  }
};

TEST_F(CfengineCollectorTest, QuietWhenCfengineIsAbsent) {
  FakeHostFs fake;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(IsQuiet(Collect(fake)));
  // One debug line, not one a scrape.
  EXPECT_EQ(LogLines(), 1u) << log_.str();
  EXPECT_THAT(log_.str(), HasSubstr("no CFEngine run to report"));
}

TEST_F(CfengineCollectorTest, ReportsTheLastRun) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, absl::StrCat(kKeptLine, "\n", kNotKeptLine, "\n"));
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  const std::map<std::string, std::string> tool = {{"tool", "cfengine"}};
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_timestamp_seconds", tool),
            1795318572);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_duration_seconds", tool), 0);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", tool), 0);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_config_version_info",
                       {{"tool", "cfengine"}, {"version", "strata-test not-kept 1"}}),
            1);
  EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "kept"}}), 0.5);
  EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "repaired"}}), 0);
  EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "not_kept"}}),
            0.5);
  // Neither counts nor dry-run mode are in the log.
  EXPECT_FALSE(FindSample(c.families, "strata_convergence_noop", tool).has_value());
  EXPECT_EQ(testing::CountSamples(c.families, "strata_convergence_resources"), 0u);
}

TEST_F(CfengineCollectorTest, SuccessWhenNothingIsNotKept) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kUpstream, absl::StrCat(kKeptLine, "\n"));
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", {{"tool", "cfengine"}}),
            1);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_duration_seconds",
                       {{"tool", "cfengine"}}),
            1);
}

TEST_F(CfengineCollectorTest, PrefersDebiansLogToUpstreams) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, absl::StrCat(kNotKeptLine, "\n"));
  fake.AddFile(HostRoot::kRootfs, kUpstream, absl::StrCat(kKeptLine, "\n"));
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "not_kept"}}),
            0.5);
}

TEST_F(CfengineCollectorTest, AConfiguredLogIsTheOnlyOneRead) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, absl::StrCat(kNotKeptLine, "\n"));
  EXPECT_TRUE(IsQuiet(Collect(fake, {"/srv/cf/promise_summary.log"})));
  fake.AddFile(HostRoot::kRootfs, "/srv/cf/promise_summary.log", absl::StrCat(kKeptLine, "\n"));
  Collected c = Collect(fake);
  EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "kept"}}), 1);
}

TEST_F(CfengineCollectorTest, EmptyLogIsQuiet) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, "");
  EXPECT_TRUE(IsQuiet(Collect(fake)));
}

TEST_F(CfengineCollectorTest, MalformedLogFailsNamingTheFile) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, "1795318572,1795318572: Outcome of vers\n");
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status.message(), HasSubstr("/fake/root//var/log/cfengine3/promise_summary.log"));
  EXPECT_TRUE(c.families.empty());
}

TEST_F(CfengineCollectorTest, UnreadableLogFails) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, "");
  fake.FailWith(HostRoot::kRootfs, kDebian,
                absl::PermissionDeniedError("open /var/log/cfengine3/promise_summary.log: "
                                            "Permission denied"));
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(c.families.empty());
}

TEST_F(CfengineCollectorTest, LogThatIsNotAFileFails) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kDebian, "");
  FileStat dir;
  dir.type = FileStat::Type::kDirectory;
  fake.SetStat(HostRoot::kRootfs, kDebian, dir);
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition);
}

// --- On a real file system --------------------------------------------------

TEST_F(CfengineCollectorTest, SymlinkLoopFails) {
  TempDir dir("strata-cfengine");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() / "var/log/cfengine3");
  fs::create_symlink("promise_summary.log", dir.path() / "var/log/cfengine3/promise_summary.log");
  auto host_fs = RealHostFsWithRootfs(dir.path());
  Collected c = Collect(*host_fs);
  EXPECT_FALSE(c.status.ok());
  EXPECT_THAT(c.status.message(), HasSubstr("symbolic links"));
  EXPECT_THAT(c.status.message(), HasSubstr("promise_summary.log"));
}

TEST_F(CfengineCollectorTest, FifoIsRefusedWithoutBlocking) {
  TempDir dir("strata-cfengine");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() / "var/cfengine");
  ASSERT_EQ(mkfifo((dir.path() / "var/cfengine/promise_summary.log").c_str(), 0600), 0);
  auto host_fs = RealHostFsWithRootfs(dir.path());
  Collected c = Collect(*host_fs);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition) << c.status;
}

// Debian's log is never rotated: only its end is read, however large it is.
TEST_F(CfengineCollectorTest, ReadsOnlyTheEndOfALongLog) {
  TempDir dir("strata-cfengine");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() / "var/log/cfengine3");
  {
    std::ofstream out(dir.path() / "var/log/cfengine3/promise_summary.log");
    for (int i = 0; i < 150000; ++i) out << kKeptLine << "\n";  // ~25 MB, over HostFs's cap
    out << kNotKeptLine << "\n";
  }
  ASSERT_GT(fs::file_size(dir.path() / "var/log/cfengine3/promise_summary.log"), kMaxHostFileBytes);
  auto host_fs = RealHostFsWithRootfs(dir.path());
  Collected c = Collect(*host_fs);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "not_kept"}}),
            0.5);
}

TEST_F(CfengineCollectorTest, ALastLineLongerThanTheWindowFails) {
  TempDir dir("strata-cfengine");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() / "var/log/cfengine3");
  {
    std::ofstream out(dir.path() / "var/log/cfengine3/promise_summary.log");
    out << kKeptLine << "\n" << std::string(kCfengineTailBytes * 2, 'x') << "\n";
  }
  auto host_fs = RealHostFsWithRootfs(dir.path());
  Collected c = Collect(*host_fs);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kResourceExhausted) << c.status;
  EXPECT_THAT(c.status.message(), HasSubstr("promise_summary.log"));
}

// The fixtures cf-agent 3.21 wrote, against their own last lines.
TEST_F(CfengineCollectorTest, FixturesMatchTheirLastLines) {
  for (const char* fixture :
       {"cfengine-3.21-debian12-not-kept", "cfengine-3.21-debian12-kept-upstream-path"}) {
    collector_.reset();
    const fs::path root = kFixtures / fixture / "rootfs";
    fs::path log = root / "var/log/cfengine3/promise_summary.log";
    if (!fs::exists(log)) log = root / "var/cfengine/promise_summary.log";
    std::ifstream in(log);
    std::string line, last;
    while (std::getline(in, line)) last = line;
    auto want = ParseCfengineOutcomeLine(last);
    ASSERT_TRUE(want.ok()) << want.status();

    auto host_fs = RealHostFsWithRootfs(root);
    Collected c = Collect(*host_fs);
    ASSERT_TRUE(c.status.ok()) << fixture << ": " << c.status;
    EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_timestamp_seconds",
                         {{"tool", "cfengine"}}),
              want->end_seconds)
        << fixture;
    EXPECT_EQ(FindSample(c.families, "strata_cfengine_promises_ratio", {{"outcome", "kept"}}),
              want->kept_percent / 100)
        << fixture;
    EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", {{"tool", "cfengine"}}),
              want->not_kept_percent == 0 ? 1 : 0)
        << fixture;
  }
}

}  // namespace
}  // namespace strata
