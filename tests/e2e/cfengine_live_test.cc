// The cfengine collector against Debian's real cf-agent: the test runs
// cf-agent on the policies in tests/fixtures/cfengine/policies with a private
// work directory laid out as upstream's /var/cfengine below a temporary
// --path.rootfs, scrapes the real binary after each run, and checks the
// series against the line cf-agent appended to promise_summary.log.
//
// Safety: every policy (and the failsafe stub) is validated with cf-promises
// first; <workdir>/bin points at cf-promises so cf-agent can confirm the
// policy instead of falling back to its failsafe policy; the stub replaces
// the built-in failsafe.cf, which would start cf-serverd on every address;
// and after every run no process may mention the work directory (any such
// process is killed and the test fails).
#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/family_lookup.h"
#include "tests/support/http_client.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kPolicies = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/cfengine/policies";

// The last outcome line, parsed independently of the exporter's parser.
struct Outcome {
  double start = 0, end = 0;
  std::string version;
  double kept = -1, repaired = -1, not_kept = -1;
};

std::optional<Outcome> LastOutcome(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  static const std::regex kLine(
      R"(^(\d+),(\d+): Outcome of version (.*) \(agent-\d+\): Promises observed to be kept )"
      R"(([0-9.]+)%, Promises repaired ([0-9.]+)%, Promises not repaired ([0-9.]+)%$)");
  std::smatch m;
  if (!std::regex_match(last, m, kLine)) return std::nullopt;
  Outcome o;
  o.start = std::stod(m[1]);
  o.end = std::stod(m[2]);
  o.version = m[3];
  o.kept = std::stod(m[4]);
  o.repaired = std::stod(m[5]);
  o.not_kept = std::stod(m[6]);
  return o;
}

std::string Trimmed(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

class CfengineLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cf_promises_ = Trimmed(RunCommand({"sh", "-c", "command -v cf-promises"}).output);
    cf_agent_ = Trimmed(RunCommand({"sh", "-c", "command -v cf-agent"}).output);
    if (cf_promises_.empty() || cf_agent_.empty()) {
      GTEST_SKIP() << "cf-agent is not installed (Debian package cfengine3)";
    }
    ASSERT_TRUE(root_.ok());
    workdir_ = root_.path() / "var/cfengine";
    fs::create_directories(workdir_ / "inputs");
    fs::create_directory_symlink(fs::path(cf_promises_).parent_path(), workdir_ / "bin");
    fs::copy_file(kPolicies / "failsafe.cf", workdir_ / "inputs/failsafe.cf");
    for (const char* policy : {"failsafe.cf", "converge.cf", "not_kept.cf"}) {
      CommandResult check = RunCommand({cf_promises_, "--file", (kPolicies / policy).string()});
      ASSERT_EQ(check.exit_code, 0) << policy << " does not validate:\n" << check.output;
    }
    ASSERT_TRUE(exporter_.Start({"--web.listen-address=127.0.0.1:0", "--collector.disable-defaults",
                                 "--collector.cfengine", "--collector.host",
                                 "--path.rootfs=" + root_.path().string()}))
        << exporter_.stderr_text();
  }

  void TearDown() override { ExpectNoLeftovers(); }

  // Runs cf-agent on one policy of tests/fixtures/cfengine/policies.
  void RunAgent(const std::string& policy) {
    CommandResult run = RunCommand({"timeout", "120", cf_agent_, "--no-lock", "--file",
                                    (kPolicies / policy).string(), "--workdir", workdir_.string()});
    EXPECT_THAT(run.output, ::testing::Not(HasSubstr("failsafe"))) << run.output;
    EXPECT_NE(run.exit_code, 124) << "cf-agent timed out";
    ExpectNoLeftovers();
  }

  // Nothing cf-agent started may outlive it: kill by pid what mentions the
  // work directory, and fail.
  void ExpectNoLeftovers() {
    if (workdir_.empty()) return;
    CommandResult left = RunCommand({"pgrep", "-f", workdir_.string()});
    for (absl::string_view pid_text : absl::StrSplit(left.output, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (!absl::SimpleAtoi(pid_text, &pid) || pid <= 1) continue;
      ADD_FAILURE() << "cf-agent left process " << pid << " running; killing it";
      kill(pid, SIGKILL);
    }
  }

  std::string Scrape() {
    HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter_.port(), "/metrics"));
    EXPECT_TRUE(scrape.ok) << scrape.error;
    EXPECT_EQ(scrape.status, 200);
    return scrape.body;
  }

  // Every cfengine series against the last line of the log.
  void ExpectScrapeMatchesLog(const Outcome& want) {
    const std::string body = Scrape();
    EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="cfengine"})"), 1)
        << exporter_.stderr_text();
    EXPECT_EQ(
        SampleValue(body, R"(strata_convergence_last_run_timestamp_seconds{tool="cfengine"})"),
        want.end);
    EXPECT_EQ(SampleValue(body, R"(strata_convergence_last_run_duration_seconds{tool="cfengine"})"),
              want.end - want.start);
    EXPECT_EQ(SampleValue(body, R"(strata_convergence_last_run_success{tool="cfengine"})"),
              want.not_kept == 0 ? 1 : 0);
    EXPECT_EQ(
        SampleValue(body, absl::StrCat(
                              R"(strata_convergence_config_version_info{tool="cfengine",version=")",
                              want.version, "\"}")),
        1);
    EXPECT_NEAR(*SampleValue(body, R"(strata_cfengine_promises_ratio{outcome="kept"})"),
                want.kept / 100, 1e-12);
    EXPECT_NEAR(*SampleValue(body, R"(strata_cfengine_promises_ratio{outcome="repaired"})"),
                want.repaired / 100, 1e-12);
    EXPECT_NEAR(*SampleValue(body, R"(strata_cfengine_promises_ratio{outcome="not_kept"})"),
                want.not_kept / 100, 1e-12);
  }

  TempDir root_{"strata-cfengine-live"};
  fs::path workdir_;
  std::string cf_promises_, cf_agent_;
  ExporterProcess exporter_;
};

TEST_F(CfengineLiveTest, KeptRepairedAndNotKeptRunsShowUpInOneScrape) {
  // Before any run: no log, nothing reported, no failure.
  std::string body = Scrape();
  EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="cfengine"})"), 1);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("tool=\"cfengine\"")));

  const fs::path log = workdir_ / "promise_summary.log";
  RunAgent("converge.cf");  // creates the managed file: repaired
  std::optional<Outcome> first = LastOutcome(log);
  ASSERT_TRUE(first.has_value()) << "no outcome line in " << log;
  EXPECT_GT(first->repaired, 0);
  EXPECT_EQ(first->version, "strata-test converge 1");
  ExpectScrapeMatchesLog(*first);

  RunAgent("converge.cf");  // nothing to do: kept
  std::optional<Outcome> second = LastOutcome(log);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->kept, 100);
  ExpectScrapeMatchesLog(*second);

  RunAgent("not_kept.cf");  // /bin/false: not kept
  std::optional<Outcome> third = LastOutcome(log);
  ASSERT_TRUE(third.has_value());
  EXPECT_GT(third->not_kept, 0);
  EXPECT_EQ(third->version, "strata-test not-kept 1");
  ExpectScrapeMatchesLog(*third);
  body = Scrape();
  EXPECT_EQ(SampleValue(body, R"(strata_convergence_last_run_success{tool="cfengine"})"), 0);
}

// A log whose last line was cut: the collector fails, the others do not.
TEST_F(CfengineLiveTest, TruncatedLogFailsOnlyThisCollector) {
  RunAgent("converge.cf");
  std::ofstream(workdir_ / "promise_summary.log", std::ios::app) << "1795318572,17953";
  const std::string body = Scrape();
  EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="cfengine"})"), 0);
  EXPECT_EQ(SampleValue(body, R"(strata_scrape_collector_success{collector="host"})"), 1);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("tool=\"cfengine\"")));
  EXPECT_THAT(exporter_.stderr_text(), HasSubstr("promise_summary.log"));
}

}  // namespace
}  // namespace strata::testing
