#include "collectors/chef/chef_collector.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "collectors/chef/chef_report.h"
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

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/chef";

std::string ReadReport(const std::string& fixture, const std::string& name) {
  return testing::ReadWholeFile((kFixtures / fixture / "rootfs/var/chef/reports" / name).string());
}

double Unix(const char* text) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M:%S %z", text, &time, &error)) << error;
  return absl::ToDoubleSeconds(time - absl::UnixEpoch());
}

double Seconds(const std::optional<absl::Time>& time) {
  return time.has_value() ? absl::ToDoubleSeconds(*time - absl::UnixEpoch()) : -1;
}

// --- The parser ---------------------------------------------------------------

TEST(ChefRunReport, ASuccessfulRun) {
  auto run = ParseChefRunReport(
      ReadReport("chef-18-json-file-success", "chef-run-report-20240501120042.json"));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->success);
  EXPECT_EQ(Seconds(run->start), Unix("2024-05-01 12:00:00 +0000"));
  EXPECT_EQ(Seconds(run->end), Unix("2024-05-01 12:00:42 +0000"));
  EXPECT_EQ(run->elapsed_seconds, 42.183517);
  EXPECT_EQ(run->total_resources, 4);
  EXPECT_EQ(run->updated_resources, 1);
  EXPECT_EQ(run->exception, "");
  EXPECT_EQ(run->chef_version, "18.4.12");
}

TEST(ChefRunReport, AFailedRun) {
  auto run = ParseChefRunReport(
      ReadReport("chef-18-json-file-failed", "chef-run-report-20240501113007.json"));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE(run->success);
  EXPECT_THAT(run->exception, HasSubstr("Mixlib::ShellOut::ShellCommandFailed"));
  EXPECT_EQ(run->elapsed_seconds, 7.514002);
  EXPECT_EQ(run->total_resources, 4);
  EXPECT_EQ(run->updated_resources, 1);
}

// A client that failed before it compiled a resource (Chef 12 and older wrote
// null for the resource lists; the handler writes "" for a time never taken).
TEST(ChefRunReport, ARunThatFailedEarly) {
  auto run = ParseChefRunReport(R"({"node": null, "success": false,
      "start_time": "2024-05-01 12:00:00 +0200", "end_time": "", "elapsed_time": null,
      "all_resources": null, "updated_resources": [], "exception": "Net::HTTPFatalError: 401",
      "backtrace": null, "run_id": null})");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE(run->success);
  EXPECT_EQ(Seconds(run->start), Unix("2024-05-01 10:00:00 +0000"));
  EXPECT_FALSE(run->end.has_value());
  EXPECT_FALSE(run->elapsed_seconds.has_value());
  EXPECT_FALSE(run->total_resources.has_value());
  EXPECT_EQ(run->updated_resources, 0);
  EXPECT_EQ(run->chef_version, "");
}

TEST(ChefRunReport, LoneSurrogateEscapesBecomeReplacementCharacters) {
  // RapidJSON decodes "\udc00" into bytes that are not UTF-8.
  auto run = ParseChefRunReport(R"({"success": false, "start_time": null, "end_time": null,
      "all_resources": [], "updated_resources": [], "exception": "RuntimeError: \udc00",
      "node": {"automatic": {"chef_packages": {"chef": {"version": "18\udfff"}}}}})");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exception, "RuntimeError: \xef\xbf\xbd");
  EXPECT_EQ(run->chef_version, "18\xef\xbf\xbd");
}

struct BadCase {
  std::string name;
  std::string text;
  std::string message;
};

class ChefBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ChefBadInputTest, IsAClearError) {
  auto run = ParseChefRunReport(GetParam().text);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(run.status().message(), HasSubstr(GetParam().message));
}

const std::string kGood = R"({"success": true, "start_time": "2024-05-01 12:00:00 +0000",
    "end_time": "2024-05-01 12:00:42 +0000", "elapsed_time": 42.1, "all_resources": [],
    "updated_resources": [], "exception": null})";

std::string With(const std::string& from, const std::string& to) {
  std::string text = kGood;
  text.replace(text.find(from), from.size(), to);
  return text;
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, ChefBadInputTest,
    ::testing::Values(
        BadCase{"empty", "", "not JSON"}, BadCase{"truncated", kGood.substr(0, 60), "not JSON"},
        BadCase{"array", "[]", "not a JSON object"},
        BadCase{"no_success", "{\"start_time\": \"\"}", "success: missing"},
        BadCase{"success_as_string", With("\"success\": true", "\"success\": \"true\""),
                "success: not true or false"},
        BadCase{"elapsed_as_string", With("42.1", "\"42.1\""), "elapsed_time: not a duration"},
        BadCase{"negative_elapsed", With("42.1", "-1"), "elapsed_time: not a duration"},
        BadCase{"resources_as_number", With("\"all_resources\": []", "\"all_resources\": 4"),
                "all_resources: not an array"},
        BadCase{"no_updated", With("\"updated_resources\": [], ", ""),
                "updated_resources: missing"},
        BadCase{"time_garbled", With("2024-05-01 12:00:00 +0000", "yesterday"),
                "start_time: not a time"},
        BadCase{"time_as_number", With("\"2024-05-01 12:00:42 +0000\"", "1714564842"),
                "end_time: not a string"},
        BadCase{"exception_as_object", With("\"exception\": null", "\"exception\": {}"),
                "exception: not a string"},
        BadCase{"version_as_number",
                With("\"exception\": null",
                     "\"node\": {\"automatic\": {\"chef_packages\": {\"chef\": {\"version\": "
                     "18}}}}"),
                "chef.version: not a string"}),
    [](const auto& info) { return info.param.name; });

TEST(NewestChefRunReport, PicksTheLatestName) {
  EXPECT_EQ(NewestChefRunReport({"chef-run-report-20240501113007.json",
                                 "chef-run-report-20240501120042.json",
                                 "chef-run-report-20231231235959.json"}),
            "chef-run-report-20240501120042.json");
  EXPECT_EQ(NewestChefRunReport({"chef-run-report-20240501113007.json", "failed-run-data.json",
                                 "chef-run-report-latest.json", "chef-run-report-.json",
                                 "chef-run-report-20991231000000.json.swp", "README"}),
            "chef-run-report-20240501113007.json");
  EXPECT_EQ(NewestChefRunReport({}), std::nullopt);
  EXPECT_EQ(NewestChefRunReport({"node.json"}), std::nullopt);
}

// --- The collector ------------------------------------------------------------

constexpr const char* kDir = "/var/chef/reports";

class ChefCollectorTest : public testing::CollectorTestBase {
 protected:
  Collected Collect(const HostFs& fs, ChefCollectorOptions options = {}) {
    return CollectWith(
        fs, [&](const CollectorContext& context) { return NewChefCollector(context, options); });
  }
};

const std::map<std::string, std::string> kTool = {{"tool", "chef"}};

TEST_F(ChefCollectorTest, QuietWithoutReports) {
  FakeHostFs fake;
  Collected c = Collect(fake);  // no directory
  EXPECT_TRUE(IsQuiet(c));
  fake.AddDir(HostRoot::kRootfs, kDir);
  fake.AddFile(HostRoot::kRootfs, absl::StrCat(kDir, "/failed-run-data.json"), "{}");
  c = Collect(fake);  // a directory without reports
  EXPECT_TRUE(IsQuiet(c));
  EXPECT_EQ(LogLines(), 1u) << log_.str();
}

TEST_F(ChefCollectorTest, ReportsTheNewestRun) {
  FakeHostFs fake;
  fake.AddDir(HostRoot::kRootfs, kDir);
  const std::string fixture = "chef-18-json-file-success";
  for (const char* name :
       {"chef-run-report-20240501113007.json", "chef-run-report-20240501120042.json"}) {
    fake.AddFile(HostRoot::kRootfs, absl::StrCat(kDir, "/", name), ReadReport(fixture, name));
  }
  Collected c = Collect(fake);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", kTool), 1);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_timestamp_seconds", kTool),
            Unix("2024-05-01 12:00:42 +0000"));
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_duration_seconds", kTool),
            42.183517);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_resources",
                       {{"tool", "chef"}, {"state", "total"}}),
            4);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_resources",
                       {{"tool", "chef"}, {"state", "updated"}}),
            1);
  EXPECT_EQ(FindSample(c.families, "strata_convergence_tool_version_info",
                       {{"tool", "chef"}, {"version", "18.4.12"}}),
            1);
  EXPECT_FALSE(FindSample(c.families, "strata_convergence_noop", kTool).has_value());
}

TEST_F(ChefCollectorTest, AMalformedNewestReportFailsRatherThanFallingBack) {
  FakeHostFs fake;
  fake.AddDir(HostRoot::kRootfs, kDir);
  fake.AddFile(HostRoot::kRootfs, absl::StrCat(kDir, "/chef-run-report-20240501113007.json"),
               kGood);
  fake.AddFile(HostRoot::kRootfs, absl::StrCat(kDir, "/chef-run-report-20240501120042.json"),
               kGood.substr(0, 40));
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status.message(), HasSubstr("chef-run-report-20240501120042.json: not JSON"));
  EXPECT_TRUE(c.families.empty());
}

TEST_F(ChefCollectorTest, UnreadableDirectoryOrReportFails) {
  FakeHostFs fake;
  fake.AddDir(HostRoot::kRootfs, kDir);
  fake.FailWith(HostRoot::kRootfs, kDir,
                absl::PermissionDeniedError("opendir /var/chef/reports: Permission denied"));
  EXPECT_EQ(Collect(fake).status.code(), absl::StatusCode::kPermissionDenied);

  FakeHostFs fake2;
  fake2.AddDir(HostRoot::kRootfs, kDir);
  const std::string report = absl::StrCat(kDir, "/chef-run-report-20240501113007.json");
  fake2.AddFile(HostRoot::kRootfs, report, kGood);
  fake2.FailWith(HostRoot::kRootfs, report,
                 absl::PermissionDeniedError("stat " + report + ": Permission denied"));
  collector_.reset();
  EXPECT_EQ(Collect(fake2).status.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ChefCollectorTest, ReportOverTheLimitIsNotRead) {
  FakeHostFs fake;
  fake.AddDir(HostRoot::kRootfs, kDir);
  const std::string report = absl::StrCat(kDir, "/chef-run-report-20240501113007.json");
  fake.AddFile(HostRoot::kRootfs, report, kGood);
  FileStat huge;
  huge.size = kChefMaxReportBytes + 1;
  fake.SetStat(HostRoot::kRootfs, report, huge);
  Collected c = Collect(fake);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ChefCollectorTest, RealFileSystemFaults) {
  TempDir dir("strata-chef");
  ASSERT_TRUE(dir.ok());
  const fs::path reports = dir.path() / "var/chef/reports";
  fs::create_directories(reports);
  auto host_fs = RealHostFsWithRootfs(dir.path());
  const fs::path newest = reports / "chef-run-report-20240501120042.json";

  fs::create_symlink(newest.filename(), newest);  // a loop
  Collected c = Collect(*host_fs);
  EXPECT_FALSE(c.status.ok());
  EXPECT_THAT(c.status.message(), HasSubstr("symbolic links"));
  fs::remove(newest);

  fs::create_directory(newest);  // a directory named like a report
  c = Collect(*host_fs);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kFailedPrecondition) << c.status;
  fs::remove(newest);

  std::ofstream(newest) << ReadReport("chef-18-json-file-failed",
                                      "chef-run-report-20240501113007.json");
  c = Collect(*host_fs);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(FindSample(c.families, "strata_convergence_last_run_success", kTool), 0);

  // A reports "directory" that is a file: nothing to list, as if absent.
  fs::remove_all(reports);
  std::ofstream(reports) << "x";
  c = Collect(*host_fs);
  EXPECT_TRUE(IsQuiet(c));
}

}  // namespace
}  // namespace strata
