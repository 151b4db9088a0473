#include "collectors/ansible/ansible_collector.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "collectors/ansible/ansible_results.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/collector_test_base.h"
#include "tests/support/fake_host_fs.h"
#include "tests/support/family_lookup.h"
#include "tests/support/test_files.h"

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

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/ansible";

std::string ReadFixture(const std::string& name) {
  return testing::ReadWholeFile((kFixtures / name).string());
}

absl::Time At(const char* rfc3339) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) << error;
  return time;
}

double Count(const AnsibleHostStats& stats, const std::string& key) {
  for (const auto& [name, value] : stats.counts) {
    if (name == key) return value;
  }
  return -1;
}

// --- The parser, on what ansible-playbook 2.14 wrote --------------------------

struct FixtureCase {
  std::string file;
  double changed, failures;
  bool check_mode;
};

class AnsibleFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(AnsibleFixtureTest, ParsesWhatAnsibleWrote) {
  const FixtureCase& c = GetParam();
  absl::StatusOr<AnsibleResults> results = ParseAnsibleResults(ReadFixture(c.file));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->hosts.size(), 1u);
  const AnsibleHostStats& stats = results->hosts.at("localhost");
  EXPECT_EQ(Count(stats, "changed"), c.changed);
  EXPECT_EQ(Count(stats, "failures"), c.failures);
  EXPECT_EQ(Count(stats, "unreachable"), 0);
  EXPECT_EQ(Count(stats, "ok"), 2);
  EXPECT_EQ(stats.counts.size(), 7u);
  EXPECT_EQ(stats.success, c.failures == 0);
  ASSERT_TRUE(results->check_mode.has_value());
  EXPECT_EQ(*results->check_mode, c.check_mode);
  ASSERT_TRUE(results->start.has_value());
  ASSERT_TRUE(results->end.has_value());
  EXPECT_GT(*results->end, *results->start);
  EXPECT_LT(*results->end - *results->start, absl::Minutes(5));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, AnsibleFixtureTest,
    ::testing::Values(FixtureCase{"ansible-2.14-debian12-check-converged.json", 0, 0, true},
                      FixtureCase{"ansible-2.14-debian12-check-drift.json", 1, 0, true},
                      FixtureCase{"ansible-2.14-debian12-failed.json", 1, 1, false},
                      FixtureCase{"ansible-pull-2.14-debian12-check-drift.out", 1, 0, true}),
    [](const auto& info) {
      std::string name = info.param.file;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// A minimal document in the callback's layout.
std::string Document(const std::string& plays, const std::string& stats,
                     const std::string& custom = "{}") {
  return absl::StrCat("{\n    \"custom_stats\": {},\n    \"global_custom_stats\": ", custom,
                      ",\n    \"plays\": ", plays, ",\n    \"stats\": ", stats, "\n}\n");
}

constexpr const char* kPlay =
    R"([{"play": {"duration": {"start": "2026-11-22T03:22:18.820255Z", "end": "2026-11-22T03:22:19.180826Z"}}, "tasks": []}])";
constexpr const char* kStats =
    R"({"localhost": {"changed": 1, "failures": 0, "ignored": 0, "ok": 2, "rescued": 0, "skipped": 1, "unreachable": 0}})";

TEST(AnsibleResults, SpansEveryPlay) {
  auto results = ParseAnsibleResults(Document(
      R"([{"play": {"duration": {"start": "2026-11-22T03:00:00Z", "end": "2026-11-22T03:00:10Z"}}},
          {"play": {"duration": {"start": "2026-11-22T03:00:10.5Z", "end": "2026-11-22T03:00:30.25Z"}}},
          {"play": {"duration": {"start": "2026-11-22T03:00:31Z"}}}])",
      kStats));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(*results->start, At("2026-11-22T03:00:00Z"));
  EXPECT_EQ(*results->end, At("2026-11-22T03:00:30.25Z"));
}

TEST(AnsibleResults, NoTaskRanMeansNoEnd) {
  auto results = ParseAnsibleResults(Document(
      R"([{"play": {"duration": {"start": "2026-11-22T03:00:00Z"}}, "tasks": []}])", "{}"));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_TRUE(results->start.has_value());
  EXPECT_FALSE(results->end.has_value());
  EXPECT_TRUE(results->hosts.empty());
  EXPECT_FALSE(results->check_mode.has_value());
}

TEST(AnsibleResults, OlderRecapsWithoutRescuedAndIgnored) {
  auto results = ParseAnsibleResults(Document(
      kPlay, R"({"web": {"changed": 0, "failures": 0, "ok": 3, "skipped": 0, "unreachable": 1}})"));
  ASSERT_TRUE(results.ok()) << results.status();
  const AnsibleHostStats& stats = results->hosts.at("web");
  EXPECT_EQ(stats.counts.size(), 5u);
  EXPECT_FALSE(stats.success);  // unreachable
}

TEST(AnsibleResults, CheckModeAsAString) {
  for (const auto& [custom, want] :
       std::vector<std::pair<std::string, bool>>{{R"({"check_mode": "True"})", true},
                                                 {R"({"check_mode": "false"})", false},
                                                 {R"({"check_mode": false})", false}}) {
    auto results = ParseAnsibleResults(Document(kPlay, kStats, custom));
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(results->check_mode, want) << custom;
  }
}

TEST(AnsibleResults, LoneSurrogateEscapesBecomeReplacementCharacters) {
  // RapidJSON decodes "\udc00" into bytes that are not UTF-8; host names
  // become label values.
  auto results = ParseAnsibleResults(Document(
      kPlay,
      R"({"web\udc00": {"changed": 0, "failures": 0, "ok": 3, "skipped": 0, "unreachable": 0}})"));
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(results->hosts.count("web\xef\xbf\xbd"), 1u);
}

TEST(AnsibleResults, TheLastOfSeveralAppendedDocuments) {
  const std::string older = Document(kPlay, kStats);
  const std::string newer = Document(
      R"([{"play": {"duration": {"start": "2026-11-23T00:00:00Z", "end": "2026-11-23T00:00:01Z"}}}])",
      kStats);
  auto results = ParseAnsibleResults(older + newer);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(*results->end, At("2026-11-23T00:00:01Z"));
  // With ANSIBLE_JSON_INDENT=0 every document is one line.
  auto one_line = ParseAnsibleResults(absl::StrCat(absl::StrReplaceAll(older, {{"\n", ""}}), "\n",
                                                   absl::StrReplaceAll(newer, {{"\n", ""}}), "\n"));
  ASSERT_TRUE(one_line.ok()) << one_line.status();
  EXPECT_EQ(*one_line->end, At("2026-11-23T00:00:01Z"));
}

struct BadCase {
  std::string name;
  std::string text;
  std::string message;
};

class AnsibleBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(AnsibleBadInputTest, IsAClearError) {
  auto results = ParseAnsibleResults(GetParam().text);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(results.status().message(), HasSubstr(GetParam().message));
}

const std::string kGood = Document(kPlay, kStats);

INSTANTIATE_TEST_SUITE_P(
    Inputs, AnsibleBadInputTest,
    ::testing::Values(
        BadCase{"empty", "", "no JSON document"},
        BadCase{"default_callback_output", "PLAY [all] ****\n\nPLAY RECAP ****\n",
                "ANSIBLE_STDOUT_CALLBACK=json"},
        BadCase{"truncated", kGood.substr(0, kGood.size() / 2), "not JSON at offset"},
        BadCase{"not_an_object", "{\n}\n[1, 2]", "plays: missing"},
        BadCase{"no_stats", "{\"plays\": []}", "stats: missing"},
        BadCase{
            "count_as_string",
            Document(kPlay, R"({"localhost": {"changed": "1", "failures": 0, "unreachable": 0}})"),
            "stats.localhost.changed: not a count"},
        BadCase{
            "negative_count",
            Document(kPlay, R"({"localhost": {"changed": -1, "failures": 0, "unreachable": 0}})"),
            "stats.localhost.changed: not a count"},
        BadCase{"no_failures",
                Document(kPlay, R"({"localhost": {"changed": 1, "unreachable": 0}})"),
                "stats.localhost.failures: missing"},
        BadCase{"recap_not_an_object", Document(kPlay, R"({"localhost": 3})"),
                "stats.localhost: not an object"},
        BadCase{"time_as_number",
                Document(R"([{"play": {"duration": {"start": 1795317738}}}])", kStats),
                "plays[0].play.duration.start: not a string"},
        BadCase{"time_garbled",
                Document(R"([{"play": {"duration": {"start": "yesterday"}}}])", kStats),
                "plays[0].play.duration.start: not an ISO 8601 time"},
        BadCase{"no_duration", Document(R"([{"play": {"name": "x"}}])", kStats),
                "plays[0].play.duration: missing"},
        BadCase{"check_mode_number", Document(kPlay, kStats, R"({"check_mode": 1})"),
                "global_custom_stats.check_mode: not true or false"}),
    [](const auto& info) { return info.param.name; });

TEST(AnsibleLocalHostNames, FollowAnsiblePullsLimit) {
  EXPECT_EQ(AnsibleLocalHostNames("web01.example.com"),
            (std::vector<std::string>{"localhost", "web01.example.com", "web01", "127.0.0.1"}));
  EXPECT_EQ(AnsibleLocalHostNames("web01"),
            (std::vector<std::string>{"localhost", "web01", "127.0.0.1"}));
  EXPECT_EQ(AnsibleLocalHostNames(""), (std::vector<std::string>{"localhost", "127.0.0.1"}));
}

// --- The collector ------------------------------------------------------------

constexpr const char* kResults = "/var/lib/strata/ansible.json";

class AnsibleCollectorTest : public testing::CollectorTestBase {
 protected:
  Collected Collect(const HostFs& fs, AnsibleCollectorOptions options) {
    if (options.hostname.empty()) options.hostname = "web01.example.com";
    return CollectWith(
        fs, [&](const CollectorContext& context) { return NewAnsibleCollector(context, options); });
  }
  Collected Collect(const HostFs& fs) { return Collect(fs, {kResults, "", ""}); }
};

const std::map<std::string, std::string> kTool = {{"tool", "ansible"}};

TEST_F(AnsibleCollectorTest, NothingWithoutAResultsFile) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, kGood);
  EXPECT_TRUE(IsQuiet(Collect(fake, {})));
  EXPECT_EQ(log_.str(), "");
}

TEST_F(AnsibleCollectorTest, QuietWhenTheResultsFileIsAbsent) {
  FakeHostFs fake;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(IsQuiet(Collect(fake)));
  EXPECT_EQ(LogLines(), 1u) << log_.str();
}

// While ansible-playbook runs, `> file` has emptied the file.
TEST_F(AnsibleCollectorTest, QuietWhileTheResultsFileIsEmpty) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, "\n");
  EXPECT_TRUE(IsQuiet(Collect(fake)));
  EXPECT_THAT(log_.str(), HasSubstr("empty results file"));
}

TEST_F(AnsibleCollectorTest, ReportsTheDriftOfACheckRun) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults,
               ReadFixture("ansible-pull-2.14-debian12-check-drift.out"));
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_noop", kTool), 1);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", kTool), 1);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_resources",
                       {{"tool", "ansible"}, {"state", "changed"}}),
            1);
  EXPECT_EQ(testing::CountSamples(c.families, "strata_convergence_resources"), 7u);
  EXPECT_TRUE(
      FindSample(c.families, "strata_convergence_last_run_timestamp_seconds", kTool).has_value());
  EXPECT_GT(*FindSample(c.families, "strata_convergence_last_run_duration_seconds", kTool), 0);
}

TEST_F(AnsibleCollectorTest, TimesComeFromThePlays) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, kGood);
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_DOUBLE_EQ(*FindSample(c.families, "strata_convergence_last_run_timestamp_seconds", kTool),
                   1795317739.180826);
  EXPECT_NEAR(*FindSample(c.families, "strata_convergence_last_run_duration_seconds", kTool),
              0.360571, 1e-9);
  // No check_mode recorded: unknown, no series.
  EXPECT_FALSE(FindSample(c.families, "strata_convergence_noop", kTool).has_value());
}

TEST_F(AnsibleCollectorTest, AFailedRunIsAFailure) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, ReadFixture("ansible-2.14-debian12-failed.json"));
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", kTool), 0);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_noop", kTool), 0);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_resources",
                       {{"tool", "ansible"}, {"state", "failures"}}),
            1);
}

TEST_F(AnsibleCollectorTest, FindsThisHostByItsNames) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults,
               Document(kPlay, R"({"db01": {"changed": 5, "failures": 0, "unreachable": 0},
                          "web01": {"changed": 2, "failures": 0, "unreachable": 0}})"));
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_resources",
                       {{"tool", "ansible"}, {"state", "changed"}}),
            2);
  collector_.reset();
  c = Collect(fake, {kResults, "db01", ""});
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_resources",
                       {{"tool", "ansible"}, {"state", "changed"}}),
            5);
}

TEST_F(AnsibleCollectorTest, AHostNotInTheRecapIsAnError) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, kGood);
  Collected c = Collect(fake, {kResults, "db01", ""});
  EXPECT_EQ(c.status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status.message(), HasSubstr("no recap for db01"));
  EXPECT_THAT(c.status.message(), HasSubstr("hosts: localhost"));
  EXPECT_THAT(c.status.message(), HasSubstr("/var/lib/strata/ansible.json"));
  EXPECT_TRUE(c.families.empty());
}

TEST_F(AnsibleCollectorTest, MalformedFileFailsNamingIt) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, kGood.substr(0, 100));
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status.message(), HasSubstr("/fake/root//var/lib/strata/ansible.json: not JSON"));
  EXPECT_TRUE(c.families.empty());
}

TEST_F(AnsibleCollectorTest, UnreadableFileFails) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, kGood);
  fake.FailWith(
      HostRoot::kRootfs, kResults,
      absl::PermissionDeniedError("stat /var/lib/strata/ansible.json: Permission denied"));
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AnsibleCollectorTest, FileOverTheLimitIsNotRead) {
  FakeHostFs fake;
  fake.AddFile(HostRoot::kRootfs, kResults, kGood);
  FileStat huge;
  huge.size = kAnsibleMaxResultsBytes + 1;
  fake.SetStat(HostRoot::kRootfs, kResults, huge);
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status.message(), HasSubstr("byte limit"));
}

TEST_F(AnsibleCollectorTest, RealFileSystemFaults) {
  TempDir dir("strata-ansible");
  ASSERT_TRUE(dir.ok());
  fs::create_directories(dir.path() / "var/lib/strata");
  const fs::path file = dir.path() / "var/lib/strata/ansible.json";
  auto host_fs = RealHostFsWithRootfs(dir.path());

  fs::create_symlink("ansible.json", file);  // a loop
  Collected c = Collect(*host_fs);
  EXPECT_FALSE(c.status.ok());
  EXPECT_THAT(c.status.message(), HasSubstr("symbolic links"));
  fs::remove(file);

  {  // Sparse: 17 MiB without writing them.
    std::ofstream out(file);
  }
  fs::resize_file(file, kAnsibleMaxResultsBytes + (1 << 20));
  c = Collect(*host_fs);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kResourceExhausted) << c.status;
  fs::remove(file);

  ASSERT_EQ(mkfifo(file.c_str(), 0600), 0);
  c = Collect(*host_fs);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition) << c.status;
  fs::remove(file);

  std::ofstream(file) << ReadFixture("ansible-2.14-debian12-check-drift.json");
  c = Collect(*host_fs);
  EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_noop", kTool), 1);
}

}  // namespace
}  // namespace strata
