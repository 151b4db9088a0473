// The ansible collector against Debian's real ansible-playbook: the test runs
// tests/fixtures/ansible/site.yml on localhost over the local connection with
// the json stdout callback, writing the results below a temporary
// --path.rootfs, scrapes the real binary after each run and checks the series
// against the JSON Ansible wrote. Every directory Ansible uses (ANSIBLE_HOME,
// local and remote temporary directories, an empty ANSIBLE_CONFIG) is inside
// the test's temporary directory; nothing reaches the network.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/family_lookup.h"
#include "tests/support/http_client.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kPlaybook = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/ansible/site.yml";
constexpr const char* kResults = "var/lib/ansible/results.json";
constexpr const char* kStates[] = {"ok",      "changed", "failures", "unreachable",
                                   "skipped", "rescued", "ignored"};

std::string ReadPath(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

double Seconds(const std::string& iso) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, iso, &time, &error)) << iso << ": " << error;
  return absl::ToDoubleSeconds(time - absl::UnixEpoch());
}

class AnsibleLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (absl::StripAsciiWhitespace(RunCommand({"sh", "-c", "command -v ansible-playbook"}).output)
            .empty()) {
      GTEST_SKIP() << "ansible-playbook is not installed (Debian package ansible)";
    }
    ASSERT_TRUE(dir_.ok());
    root_ = dir_.path() / "root";
    fs::create_directories(root_ / "var/lib/ansible");
    std::ofstream(dir_.path() / "ansible.cfg").flush();
    target_ = dir_.path() / "managed.txt";
    ASSERT_TRUE(exporter_.Start({"--web.listen-address=127.0.0.1:0", "--collector.disable-defaults",
                                 "--collector.ansible", "--path.rootfs=" + root_.string(),
                                 std::string("--collector.ansible.results-file=/") + kResults}))
        << exporter_.stderr_text();
  }

  // ansible-playbook with the json callback, its standard output (only) into
  // the results file. Returns its exit code.
  int Playbook(const std::string& extra_args) {
    const std::string d = dir_.path().string();
    const std::string command =
        absl::StrCat("ANSIBLE_CONFIG=", d, "/ansible.cfg ANSIBLE_HOME=", d,
                     "/home ANSIBLE_LOCAL_TEMP=", d, "/tmp ANSIBLE_REMOTE_TEMP=", d,
                     "/remote-tmp ANSIBLE_STDOUT_CALLBACK=json ANSIBLE_SHOW_CUSTOM_STATS=true "
                     "ANSIBLE_NOCOLOR=1 ANSIBLE_PYTHON_INTERPRETER=auto_silent "
                     "timeout 300 ansible-playbook -i localhost, -c local -e target=",
                     target_.string(), " ", extra_args, " ", kPlaybook.string(), " >",
                     (root_ / kResults).string(), " 2>", d, "/stderr.txt");
    CommandResult run = RunCommand({"sh", "-c", command});
    EXPECT_NE(run.exit_code, 124) << "ansible-playbook timed out";
    return run.exit_code;
  }

  std::string Scrape() {
    HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter_.port(), "/metrics"));
    EXPECT_TRUE(scrape.ok) << scrape.error;
    EXPECT_EQ(scrape.status, 200);
    return scrape.body;
  }

  // Scrapes and checks every ansible series against the results file; returns the scrape.
  std::string ExpectScrapeMatchesResults() {
    const std::string text = ReadPath(root_ / kResults);
    rapidjson::Document json;
    json.Parse(text.c_str());
    EXPECT_FALSE(json.HasParseError()) << text;
    if (json.HasParseError() || !json.IsObject()) return "";
    const std::string body = Scrape();
    EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="ansible"})"), 1)
        << exporter_.stderr_text();

    const rapidjson::Value& stats = json["stats"]["localhost"];
    for (const char* state : kStates) {
      EXPECT_EQ(
          SampleValue(body, absl::StrCat(R"(strata_convergence_resources{tool="ansible",state=")",
                                         state, "\"}")),
          stats[state].GetDouble())
          << state;
    }
    const double failed = stats["failures"].GetDouble() + stats["unreachable"].GetDouble();
    EXPECT_EQ(SampleValue(body, R"(strata_convergence_last_run_success{tool="ansible"})"),
              failed == 0 ? 1 : 0);
    EXPECT_EQ(SampleValue(body, R"(strata_convergence_noop{tool="ansible"})"),
              json["global_custom_stats"]["check_mode"].GetBool() ? 1 : 0);

    const rapidjson::Value& duration = json["plays"][0]["play"]["duration"];
    const double start = Seconds(duration["start"].GetString());
    const double end = Seconds(duration["end"].GetString());
    EXPECT_NEAR(
        *SampleValue(body, R"(strata_convergence_last_run_timestamp_seconds{tool="ansible"})"), end,
        1e-6);
    EXPECT_NEAR(
        *SampleValue(body, R"(strata_convergence_last_run_duration_seconds{tool="ansible"})"),
        end - start, 1e-6);
    return body;
  }

  double Series(const std::string& body, const std::string& series) {
    std::optional<double> value = SampleValue(body, series);
    EXPECT_TRUE(value.has_value()) << series << " missing from\n" << body;
    return value.value_or(-1);
  }

  TempDir dir_{"strata-ansible-live"};
  fs::path root_, target_;
  ExporterProcess exporter_;
};

TEST_F(AnsibleLiveTest, ConvergedDriftedAndFailedRunsShowUpInOneScrape) {
  // No results yet: nothing reported, no failure.
  std::string body = Scrape();
  EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="ansible"})"), 1);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("tool=\"ansible\"")));

  ASSERT_EQ(Playbook(""), 0) << ReadPath(dir_.path() / "stderr.txt");  // converge
  body = ExpectScrapeMatchesResults();
  EXPECT_EQ(Series(body, R"(strata_convergence_noop{tool="ansible"})"), 0);
  EXPECT_EQ(Series(body, R"(strata_convergence_resources{tool="ansible",state="changed"})"), 1);

  ASSERT_EQ(Playbook("--check"), 0) << ReadPath(dir_.path() / "stderr.txt");  // converged
  body = ExpectScrapeMatchesResults();
  EXPECT_EQ(Series(body, R"(strata_convergence_noop{tool="ansible"})"), 1);
  EXPECT_EQ(Series(body, R"(strata_convergence_resources{tool="ansible",state="changed"})"), 0);
  EXPECT_EQ(Series(body, R"(strata_convergence_last_run_success{tool="ansible"})"), 1);

  std::ofstream(target_) << "edited by hand\n";
  ASSERT_EQ(Playbook("--check"), 0) << ReadPath(dir_.path() / "stderr.txt");  // drifted
  body = ExpectScrapeMatchesResults();
  EXPECT_EQ(Series(body, R"(strata_convergence_noop{tool="ansible"})"), 1);
  EXPECT_GT(Series(body, R"(strata_convergence_resources{tool="ansible",state="changed"})"), 0);
  EXPECT_EQ(ReadPath(target_), "edited by hand\n") << "--check must not change the file";

  EXPECT_NE(Playbook("-e fail=true"), 0);  // a failing task
  body = ExpectScrapeMatchesResults();
  EXPECT_EQ(Series(body, R"(strata_convergence_noop{tool="ansible"})"), 0);
  EXPECT_GT(Series(body, R"(strata_convergence_resources{tool="ansible",state="failures"})"), 0);
  EXPECT_EQ(Series(body, R"(strata_convergence_last_run_success{tool="ansible"})"), 0);
}

// A run killed while writing: the collector fails with the file named.
TEST_F(AnsibleLiveTest, TruncatedResultsFailOnlyThisCollector) {
  ASSERT_EQ(Playbook("--check"), 0) << ReadPath(dir_.path() / "stderr.txt");
  const std::string text = ReadPath(root_ / kResults);
  std::ofstream(root_ / kResults) << text.substr(0, text.size() / 2);
  const std::string body = Scrape();
  EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="ansible"})"), 0);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("tool=\"ansible\"")));
  EXPECT_THAT(exporter_.stderr_text(), HasSubstr("results.json"));
}

}  // namespace
}  // namespace strata::testing
