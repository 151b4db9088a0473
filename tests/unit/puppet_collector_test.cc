#include "collectors/puppet/puppet_collector.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "collectors/puppet/puppet_reports.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_host_fs.h"
#include "tests/support/family_lookup.h"
#include "tests/support/peak_memory.h"
#include "tests/support/sanitizers.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::CountSamples;
using testing::FakeHostFs;
using testing::FindSample;
using ::testing::HasSubstr;
using testing::TempDir;

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures/puppet";
constexpr char kDebianSummary[] = "var/cache/puppet/public/last_run_summary.yaml";
constexpr char kDebianReport[] = "var/cache/puppet/state/last_run_report.yaml";
constexpr char kDebianLock[] = "var/cache/puppet/state/agent_disabled.lock";
constexpr char kAioSummary[] = "opt/puppetlabs/puppet/public/last_run_summary.yaml";
constexpr char kAioReport[] = "opt/puppetlabs/puppet/cache/state/last_run_report.yaml";
constexpr char kAioLock[] = "opt/puppetlabs/puppet/cache/state/agent_disabled.lock";

std::string ReadPath(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Fixture(const std::string& name, const std::string& path) {
  return ReadPath(kFixtures / name / "rootfs" / path);
}

const std::string kDrift = "puppet-7.23-debian12-noop-drift";
const std::string kFailed = "puppet-7.23-debian12-failed-exec";

// --- The summary ------------------------------------------------------------------

TEST(PuppetSummary, ParsesARealNoopRun) {
  auto summary = ParsePuppetSummary(Fixture(kDrift, kDebianSummary));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->config_version, "1795319309");
  EXPECT_EQ(summary->puppet_version, "7.23.0");
  EXPECT_EQ(summary->environment, "production");
  EXPECT_EQ(summary->last_run, 1795319309);
  ASSERT_TRUE(summary->total_seconds.has_value());
  EXPECT_GT(*summary->total_seconds, 0);
  using Pair = std::pair<std::string, double>;
  EXPECT_THAT(summary->resources,
              ::testing::ElementsAre(Pair{"changed", 0}, Pair{"corrective_change", 0},
                                     Pair{"failed", 0}, Pair{"failed_to_restart", 0},
                                     Pair{"out_of_sync", 1}, Pair{"restarted", 0},
                                     Pair{"scheduled", 0}, Pair{"skipped", 0}, Pair{"total", 8}));
  EXPECT_THAT(summary->events, ::testing::ElementsAre(Pair{"failure", 0}, Pair{"noop", 1},
                                                      Pair{"success", 0}, Pair{"total", 1}));
  EXPECT_EQ(summary->changes, 0);
  std::vector<std::string> time_keys;
  for (const auto& [key, value] : summary->times) time_keys.push_back(key);
  EXPECT_THAT(time_keys,
              ::testing::ElementsAre("catalog_application", "config_retrieval", "file",
                                     "filebucket", "schedule", "transaction_evaluation"));
}

TEST(PuppetSummary, ParsesARealFailedRun) {
  auto summary = ParsePuppetSummary(Fixture(kFailed, kDebianSummary));
  ASSERT_TRUE(summary.ok()) << summary.status();
  using Pair = std::pair<std::string, double>;
  EXPECT_THAT(summary->resources, ::testing::Contains(Pair{"failed", 1}));
  EXPECT_THAT(summary->resources, ::testing::Contains(Pair{"skipped", 1}));
  EXPECT_THAT(summary->events, ::testing::Contains(Pair{"failure", 1}));
}

// A summary of a Puppet that wrote a string config version, no application
// section and no events, as older Puppets did.
TEST(PuppetSummary, OlderSummariesAndStringVersions) {
  auto summary = ParsePuppetSummary(
      "---\nversion:\n  config: \"efe7389 - a commit\"\n  puppet: \"3.7.5\"\n"
      "resources:\n  failed: 0\n  total: 109\ntime:\n  total: 8.85\n  last_run: 1444936531\n");
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->config_version, "efe7389 - a commit");
  EXPECT_EQ(summary->environment, "");
  EXPECT_TRUE(summary->events.empty());
  EXPECT_EQ(summary->total_seconds, 8.85);
}

TEST(PuppetSummary, NullConfigVersionIsEmpty) {
  auto summary =
      ParsePuppetSummary("version:\n  config:\n  puppet: 7.23.0\ntime:\n  last_run: 5\n");
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->config_version, "");
}

struct BadInput {
  std::string name;
  std::string text;
  std::string error;  // a substring of the message
};

class PuppetSummaryBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(PuppetSummaryBadInput, IsAClearError) {
  auto summary = ParsePuppetSummary(GetParam().text);
  ASSERT_FALSE(summary.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(summary.status())) << summary.status();
  EXPECT_THAT(std::string(summary.status().message()), HasSubstr(GetParam().error));
}

std::vector<BadInput> BadSummaries() {
  const std::string real = Fixture(kDrift, kDebianSummary);
  return {
      {"Empty", "", "empty"},
      {"OnlyADocumentMarker", "---\n", "empty"},
      {"NotAMapping", "- 1\n- 2\n", "not a mapping"},
      {"TruncatedInAKey", real.substr(0, real.find("corrective_change") + 5),
       "resources.corre: not a number"},
      {"TruncatedBeforeLastRun", real.substr(0, real.find("time:")), "no time.last_run"},
      {"StringWhereANumberBelongs",
       absl::StrReplaceAll(real, {{"out_of_sync: 1", "out_of_sync: many"}}),
       "resources.out_of_sync: \"many\" is not a number"},
      {"ListWhereANumberBelongs", absl::StrReplaceAll(real, {{"total: 8", "total: [8]"}}),
       "resources.total: not a number"},
      {"SectionNotAMapping", "resources: 3\ntime:\n  last_run: 1\n", "resources: not a mapping"},
      {"NotANumberAtAll", "time:\n  last_run: .nan\n", "time.last_run: \".nan\" is not a number"},
      {"VersionNotAMapping", "version: 7\ntime:\n  last_run: 1\n", "version: not a mapping"},
      {"UnclosedFlow", "resources: {changed: 1\n", "not valid YAML"},
      {"DeepNesting", std::string(100000, '[') + std::string(100000, ']'), ""},
      {"Binary", std::string("\0\xff\xfe\x01", 4), ""},
  };
}

INSTANTIATE_TEST_SUITE_P(Cases, PuppetSummaryBadInput, ::testing::ValuesIn(BadSummaries()),
                         [](const auto& info) { return info.param.name; });

// --- The report's head ---------------------------------------------------------------

TEST(PuppetReportHead, ParsesARealReportWithItsRubyTag) {
  const std::string text = Fixture(kDrift, kDebianReport);
  ASSERT_THAT(text, HasSubstr("--- !ruby/object:Puppet::Transaction::Report"));
  auto head = ParsePuppetReportHead(text, true);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, "unchanged");
  EXPECT_EQ(head->noop, true);
  EXPECT_EQ(head->noop_pending, true);
  EXPECT_EQ(head->transaction_completed, true);
  EXPECT_EQ(head->config_version, "1795319309");
  EXPECT_EQ(head->puppet_version, "7.23.0");
  EXPECT_EQ(head->environment, "production");
  ASSERT_TRUE(head->time.has_value());
  // '2026-11-22T03:48:29.570354497+00:00'
  EXPECT_NEAR(*head->time, 1795319309.570354497, 1e-6);

  auto failed = ParsePuppetReportHead(Fixture(kFailed, kDebianReport), true);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->status, "failed");
  EXPECT_EQ(failed->noop, false);
}

// Whatever prefix of a report the parser sees, it either asks for more or
// gives exactly the answer the whole report gives: a cut never yields a
// shortened value ("status: chan").
TEST(PuppetReportHead, APrefixNeverGivesAWrongAnswer) {
  const std::string text = Fixture(kFailed, kDebianReport);
  auto whole = ParsePuppetReportHead(text, true);
  ASSERT_TRUE(whole.ok()) << whole.status();
  size_t answered_from = 0;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    auto head = ParsePuppetReportHead(text.substr(0, cut), false);
    if (absl::IsUnavailable(head.status())) continue;
    ASSERT_TRUE(head.ok()) << cut << ": " << head.status();
    if (answered_from == 0) answered_from = cut;
    EXPECT_EQ(head->status, whole->status) << cut;
    EXPECT_EQ(head->noop, whole->noop) << cut;
    EXPECT_EQ(head->noop_pending, whole->noop_pending) << cut;
    EXPECT_EQ(head->transaction_completed, whole->transaction_completed) << cut;
    EXPECT_EQ(head->environment, whole->environment) << cut;
    EXPECT_EQ(head->time, whole->time) << cut;
  }
  // The answer comes as soon as the head is complete: before the logs.
  EXPECT_GT(answered_from, text.find("environment: production"));
  EXPECT_LT(answered_from, text.find("logs:") + 10);
}

// A report of a large catalog: MiBs of resource statuses after the head.
// yaml-cpp needs seconds to walk all of it; the head parser stops at the logs.
// The bulk ends in YAML no parser accepts, so a parse that read it would fail:
// success shows where the parser stopped, without timing it.
TEST(PuppetReportHead, AHugeReportIsParsedOnlyAsFarAsItsHead) {
  const std::string real = Fixture(kDrift, kDebianReport);
  std::string text = real.substr(0, real.find("resource_statuses:"));
  text += "resource_statuses:\n";
  const std::string status =
      "    title: x\n    resource_type: File\n    failed: false\n    changed: false\n"
      "    events: []\n    tags:\n    - file\n    - class\n";
  for (int i = 0; text.size() < (8u << 20); ++i) {
    absl::StrAppend(&text, "  File[/srv/data/", i, "]:\n", status);
  }
  text += "  File[/srv/broken]: [unclosed, {flow\n";
  auto head = ParsePuppetReportHead(text, true);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, "unchanged");
}

// A report with the bulk first (a very old Puppet dumped the report object's
// fields in another order): the whole file still gives the answer.
TEST(PuppetReportHead, OldKeyOrderFromTheWholeFile) {
  const std::string text =
      "--- !ruby/object:Puppet::Transaction::Report\n"
      "  metrics:\n    time: !ruby/object:Puppet::Util::Metric\n      name: time\n"
      "  logs: []\n  resource_statuses: {}\n  host: web1\n"
      "  time: 2014-05-13 10:16:56.789574000 +02:00\n  kind: apply\n  status: changed\n";
  EXPECT_TRUE(absl::IsUnavailable(ParsePuppetReportHead(text, false).status()));
  auto head = ParsePuppetReportHead(text, true);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, "changed");
  EXPECT_FALSE(head->noop.has_value());
  ASSERT_TRUE(head->time.has_value());
  EXPECT_NEAR(*head->time, 1399969016.789574, 1e-6);
}

class PuppetReportBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(PuppetReportBadInput, IsAClearError) {
  auto head = ParsePuppetReportHead(GetParam().text, true);
  ASSERT_FALSE(head.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(head.status())) << head.status();
  EXPECT_THAT(std::string(head.status().message()), HasSubstr(GetParam().error));
}

std::vector<BadInput> BadReports() {
  const std::string real = Fixture(kDrift, kDebianReport);
  const std::string head = real.substr(0, real.find("logs:"));
  return {
      {"Empty", "", "not a mapping"},
      {"NotAMapping", "--- !ruby/object:Puppet::Transaction::Report\n- 1\n", "not a mapping"},
      {"NoStatus", absl::StrReplaceAll(head, {{"status: unchanged\n", ""}}), "no status"},
      {"StatusIsAMapping",
       absl::StrReplaceAll(head, {{"status: unchanged", "status: {a: 1}"}}) + "logs: []\n",
       "status: not a scalar"},
      {"NoopNotABoolean", absl::StrReplaceAll(real, {{"noop: true", "noop: maybe"}}),
       "noop: \"maybe\" is not a boolean"},
      {"TimeNotATime", absl::StrReplaceAll(real, {{"time: '2026", "time: 'year 2026"}}),
       "is not a time"},
      {"TruncatedBeforeStatus", real.substr(0, real.find("status:")), "no status"},
      {"UnclosedQuote", real.substr(0, real.find("'2026") + 8), "not valid YAML"},
      {"Binary", std::string("\0\xff\xfe\x01", 4), ""},
  };
}

INSTANTIATE_TEST_SUITE_P(Cases, PuppetReportBadInput, ::testing::ValuesIn(BadReports()),
                         [](const auto& info) { return info.param.name; });

// --- The report's tail ---------------------------------------------------------------

// Puppet writes cached_catalog_status as the report's last key, after the
// resource statuses: far past the head.
TEST(PuppetReportTail, TheRealReportsEndWithTheCachedCatalogStatus) {
  for (const std::string& fixture : {kDrift, kFailed}) {
    SCOPED_TRACE(fixture);
    const std::string text = Fixture(fixture, kDebianReport);
    ASSERT_GT(text.rfind("cached_catalog_status: not_used"), text.find("resource_statuses:"));
    auto tail = ParsePuppetReportTail(text, true);
    ASSERT_TRUE(tail.ok()) << tail.status();
    EXPECT_EQ(tail->cached_catalog_status, "not_used");
    tail = ParsePuppetReportTail(text.substr(text.size() - 200), false);
    ASSERT_TRUE(tail.ok()) << tail.status();
    EXPECT_EQ(tail->cached_catalog_status, "not_used");
  }
}

// Whatever suffix of a report the parser sees, it finds the status or finds
// nothing: a cut line ("status: not_used" cut to "used") is never taken.
TEST(PuppetReportTail, ASuffixNeverGivesAWrongAnswer) {
  const std::string text = absl::StrReplaceAll(
      Fixture(kFailed, kDebianReport),
      {{"cached_catalog_status: not_used", "cached_catalog_status: on_failure"}});
  size_t found_from = 0;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    auto tail = ParsePuppetReportTail(text.substr(cut), false);
    ASSERT_TRUE(tail.ok()) << cut << ": " << tail.status();
    if (tail->cached_catalog_status.empty()) continue;
    EXPECT_EQ(tail->cached_catalog_status, "on_failure") << cut;
    found_from = cut;
  }
  // Found as long as the suffix holds the whole line and the newline before it.
  EXPECT_EQ(found_from, text.rfind("\ncached_catalog_status:"));
}

TEST(PuppetReportTail, ValuesAndPlaces) {
  struct Case {
    const char* name;
    std::string text;
    bool whole_file;
    std::string want;
  };
  const std::string end = "corrective_change: false\ncatalog_uuid: ca18c4b7\n";
  const std::vector<Case> cases = {
      {"plain", end + "cached_catalog_status: on_failure\n", true, "on_failure"},
      {"no newline at the end", end + "cached_catalog_status: explicitly_requested", true,
       "explicitly_requested"},
      {"single-quoted", end + "cached_catalog_status: 'on_failure'\n", true, "on_failure"},
      {"double-quoted", end + "cached_catalog_status: \"on_failure\"\n", true, "on_failure"},
      {"null", end + "cached_catalog_status: ~\n", true, ""},
      {"absent: an older Puppet", end, true, ""},
      {"empty", "", true, ""},
      {"the last one counts",
       "cached_catalog_status: not_used\ncached_catalog_status: on_failure\n", true, "on_failure"},
      {"an indented key is not the report's",
       "resource_statuses:\n  File[/x]:\n    cached_catalog_status: on_failure\n" + end, true, ""},
      {"a message mentioning it is not the key",
       "logs:\n- message: \"cached_catalog_status: on_failure\"\n" + end, true, ""},
      {"the first line of a tail may be cut", "cached_catalog_status: on_failure\n" + end, false,
       ""},
      {"a tail without a newline is one cut line", "cached_catalog_status: on_failure", false, ""},
      {"a tail whose line before is cut", "us: x\ncached_catalog_status: on_failure\n", false,
       "on_failure"},
      {"unknown values are kept for the caller", end + "cached_catalog_status: sideloaded\n", true,
       "sideloaded"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto tail = ParsePuppetReportTail(c.text, c.whole_file);
    ASSERT_TRUE(tail.ok()) << tail.status();
    EXPECT_EQ(tail->cached_catalog_status, c.want);
  }
}

TEST(PuppetReportTail, AValueThatIsNotAScalarIsAClearError) {
  for (const char* text : {"cached_catalog_status: [on_failure]\n",
                           "cached_catalog_status: {a: 1}\n", "cached_catalog_status: 'unclosed\n",
                           "cached_catalog_status: a: b\n", "cached_catalog_status:on_failure\n"}) {
    SCOPED_TRACE(text);
    auto tail = ParsePuppetReportTail(text, true);
    EXPECT_TRUE(absl::IsInvalidArgument(tail.status())) << tail.status();
    EXPECT_THAT(std::string(tail.status().message()), HasSubstr("cached_catalog_status"));
  }
}

TEST(PuppetReportTail, HostileNestingIsRefused) {
  const std::string text = "cached_catalog_status: " + std::string(100000, '[') + "\n";
  auto tail = ParsePuppetReportTail(text, true);
  EXPECT_TRUE(absl::IsInvalidArgument(tail.status())) << tail.status();
}

TEST(PuppetReportMatchesSummary, ByCatalogVersionAndTimes) {
  PuppetSummary summary;
  summary.config_version = "abc123";
  summary.last_run = 1000;
  summary.total_seconds = 30.5;
  struct Case {
    std::string config_version;
    std::optional<double> start;
    bool matches;
  } cases[] = {
      {"abc123", 969.7, true},         // start + total = 1000.2, rounded down to 1000
      {"abc123", 970.9, true},         // a second later, rounded
      {"abc123", 960, true},           // the summary written 9.5 s after the timing
      {"abc123", std::nullopt, true},  // no time: nothing to tell them apart by
      {"", 969.7, true},               // no version in the report
      {"def456", 969.7, false},        // another catalog: another run
      {"abc123", 1001.5, false},       // the report is newer
      {"abc123", 1800 - 30.5, false},  // a later run
      {"abc123", 200, false},          // an older run of the same catalog
  };
  for (const Case& c : cases) {
    PuppetReportHead report;
    report.config_version = c.config_version;
    report.time = c.start;
    EXPECT_EQ(PuppetReportMatchesSummary(report, summary), c.matches)
        << c.config_version << " " << c.start.value_or(-1);
  }
}

// --- The lock and label values ----------------------------------------------------------

TEST(PuppetDisableLock, Contents) {
  struct Case {
    std::string text;
    std::string message;  // or the error, when `ok` is false
    bool ok;
  } cases[] = {
      {R"({"disabled_message":"maintenance"})", "maintenance", true},
      {"{\"disabled_message\":\"kernel \\u2603 upgrade\"}\n", "kernel \xe2\x98\x83 upgrade", true},
      // A lone low surrogate escape would decode to bytes that are not UTF-8.
      {R"({"disabled_message":"a \udc00 b"})", "a \xef\xbf\xbd b", true},
      {R"({"disabled_message":"\ud83d\ude00"})", "\xf0\x9f\x98\x80", true},
      {"", "", true},
      {" \n", "", true},
      {"{}", "", true},
      {R"({"disabled_message":null})", "", true},
      {R"({"disabled_message":"cut)", "not JSON", false},
      {"[1]", "not a JSON object", false},
      {R"({"disabled_message":7})", "disabled_message: not a string", false},
      {"{\"disabled_message\":\"\xff\xfe\"}", "not JSON", false},
  };
  for (const Case& c : cases) {
    auto message = ParsePuppetDisableLock(c.text);
    if (c.ok) {
      ASSERT_TRUE(message.ok()) << c.text << ": " << message.status();
      EXPECT_EQ(*message, c.message);
    } else {
      ASSERT_FALSE(message.ok()) << c.text;
      EXPECT_THAT(std::string(message.status().message()), HasSubstr(c.message));
    }
  }
}

// The recursive parser overflowed the stack on this and killed the process.
TEST(PuppetDisableLock, DeepNestingIsAnErrorNotACrash) {
  for (const std::string& text :
       {std::string(65536, '['), std::string(kPuppetLockMaxBytes - 1, '[') + "1",
        "{\"a\":" + std::string(65536, '[')}) {
    auto message = ParsePuppetDisableLock(text);
    ASSERT_FALSE(message.ok());
    EXPECT_THAT(std::string(message.status().message()), HasSubstr("not JSON"));
  }
}

// --- Hostile YAML: refused with a clear error, in bounded memory ------------------------

// 1 MiB of each shape cost yaml-cpp 100 to 250 MB before the bounds.
std::vector<std::pair<std::string, std::string>> HostileYaml() {
  const size_t size = 1 << 20;
  std::vector<std::pair<std::string, std::string>> cases;
  std::string s;
  while (s.size() < size) s += "[a,";
  cases.push_back({"nested flow sequences", s});
  s = "{";
  while (s.size() < size) s += "{a: ";
  cases.push_back({"nested flow mappings", s});
  cases.push_back({"brackets only", std::string(size, '[')});
  s = "version:\n  puppet: [";
  while (s.size() < size) s += "[],";
  cases.push_back({"a flat list of 350,000 nodes", s + "]\n"});
  s.clear();
  for (int i = 0; s.size() < size; ++i) s += std::string(2 * (i % 100), ' ') + "a:\n";
  cases.push_back({"nested block mappings", s});
  return cases;
}

TEST(PuppetHostileYaml, RefusedWithAClearErrorInBoundedMemory) {
  for (const auto& hostile : HostileYaml()) {
    const std::string& name = hostile.first;
    const std::string& text = hostile.second;  // a lambda cannot capture a binding in C++17
    SCOPED_TRACE(name);
    absl::StatusOr<PuppetSummary> summary;
    absl::StatusOr<PuppetReportHead> head;
    std::optional<long> growth = testing::PeakRssGrowthBytes([&] {
      summary = ParsePuppetSummary(text);
      head = ParsePuppetReportHead(text, /*whole_file=*/true);
    });
    ASSERT_FALSE(summary.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(summary.status())) << summary.status();
    EXPECT_THAT(std::string(summary.status().message()),
                ::testing::AnyOf(HasSubstr("refused: "), HasSubstr("not valid YAML")));
    EXPECT_FALSE(head.ok());
    if (!growth.has_value()) GTEST_SKIP() << "this kernel cannot reset the peak RSS";
    // The input is 1 MiB and a copy of it; allow for the allocator.
    EXPECT_LT(*growth, (16 << 20) * testing::kMemoryFactor)
        << "peak RSS grew by " << (*growth >> 20) << " MiB";
  }
}

TEST(PuppetHostileYaml, TheBoundsSayWhatWasPassed) {
  auto summary = ParsePuppetSummary(std::string(1 << 20, '['));
  EXPECT_THAT(std::string(summary.status().message()),
              HasSubstr("refused: more than 16384 flow collection openers"));
  std::string deep = "a:\n";
  for (int i = 1; i < 40; ++i) deep += std::string(2 * i, ' ') + "a:\n";
  summary = ParsePuppetSummary(deep);
  EXPECT_THAT(std::string(summary.status().message()),
              HasSubstr("refused: collections nested deeper than 32 levels"));
  std::string wide = "time:\n";
  for (int i = 0; i < 6000; ++i) wide += absl::StrCat("  k", i, ": 1\n");
  summary = ParsePuppetSummary(wide);
  EXPECT_THAT(std::string(summary.status().message()), HasSubstr("refused: more than 10000"));
  // The real summaries still parse.
  EXPECT_TRUE(ParsePuppetSummary(Fixture(kDrift, kDebianSummary)).ok());
}

TEST(TruncateLabelValue, NeverSplitsACharacter) {
  EXPECT_EQ(TruncateLabelValue("short", 10), "short");
  EXPECT_EQ(TruncateLabelValue("exactly10!", 10), "exactly10!");
  EXPECT_EQ(TruncateLabelValue("abcdefghijk", 10), "abcdefghij");
  // "\xe2\x98\x83" is one character of three bytes.
  EXPECT_EQ(TruncateLabelValue("abcdefgh\xe2\x98\x83", 10), "abcdefgh");
  EXPECT_EQ(TruncateLabelValue("abcdefg\xe2\x98\x83z", 10), "abcdefg\xe2\x98\x83");
}

// --- The collector ----------------------------------------------------------------------

struct Host {
  // Puts a fixture's summary and report at the given paths.
  void AddRun(const std::string& fixture, const char* summary_path = kDebianSummary,
              const char* report_path = kDebianReport) {
    fs_.AddFile(HostRoot::kRootfs, summary_path, Fixture(fixture, kDebianSummary));
    fs_.AddFile(HostRoot::kRootfs, report_path, Fixture(fixture, kDebianReport));
  }

  absl::Status Collect(const PuppetCollectorOptions& options = {}) {
    CollectorContext context{fs_, logger_};
    families_.clear();
    return NewPuppetCollector(context, options)->Collect(families_);
  }

  std::optional<double> Value(const std::string& name,
                              std::map<std::string, std::string> labels = {}) const {
    if (name.rfind("strata_convergence_", 0) == 0) labels["tool"] = "puppet";
    return FindSample(families_, name, labels);
  }

  FakeHostFs fs_;
  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
  std::vector<prometheus::MetricFamily> families_;
};

TEST(PuppetCollector, QuietWithoutPuppetFiles) {
  Host host;
  std::unique_ptr<Collector> collector = NewPuppetCollector({host.fs_, host.logger_}, {});
  for (int scrape = 0; scrape < 3; ++scrape) {
    EXPECT_TRUE(collector->Collect(host.families_).ok());
    EXPECT_TRUE(host.families_.empty());
  }
  // One debug line, not one per scrape.
  const std::string log = host.log_.str();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

TEST(PuppetCollector, ANoopRunThatFoundDrift) {
  Host host;
  host.AddRun(kDrift);
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_timestamp_seconds"), 1795319309);
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 1);
  EXPECT_EQ(host.Value("strata_convergence_noop"), 1);
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 0);
  EXPECT_EQ(host.Value("strata_convergence_resources", {{"state", "out_of_sync"}}), 1);
  EXPECT_EQ(host.Value("strata_convergence_resources", {{"state", "total"}}), 8);
  EXPECT_EQ(host.Value("strata_convergence_config_version_info", {{"version", "1795319309"}}), 1);
  EXPECT_EQ(host.Value("strata_convergence_tool_version_info", {{"version", "7.23.0"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_events", {{"status", "noop"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_events", {{"status", "audit"}}), 0);  // filled in
  EXPECT_EQ(host.Value("strata_puppet_noop_pending"), 1);
  EXPECT_EQ(host.Value("strata_puppet_last_run_status", {{"status", "unchanged"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_last_run_status", {{"status", "failed"}}), 0);
  EXPECT_EQ(host.Value("strata_puppet_environment_info", {{"environment", "production"}}), 1);
  EXPECT_TRUE(host.Value("strata_puppet_phase_duration_seconds", {{"phase", "config_retrieval"}}));
  EXPECT_TRUE(host.Value("strata_puppet_resource_time_seconds", {{"type", "file"}}));
  EXPECT_FALSE(host.Value("strata_puppet_resource_time_seconds", {{"type", "config_retrieval"}}));
  EXPECT_FALSE(host.Value("strata_puppet_disabled_since_timestamp_seconds"));
}

TEST(PuppetCollector, AFailedRun) {
  Host host;
  host.AddRun(kFailed);
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 0);
  EXPECT_EQ(host.Value("strata_convergence_resources", {{"state", "failed"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_last_run_status", {{"status", "failed"}}), 1);
  EXPECT_EQ(host.Value("strata_convergence_noop"), 0);
}

// A report that says failed where the summary counts no failed resource (an
// agent that could not get its catalog): the report decides.
TEST(PuppetCollector, TheReportDecidesSuccess) {
  Host host;
  host.AddRun(kDrift);
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport,
                   absl::StrReplaceAll(Fixture(kDrift, kDebianReport),
                                       {{"status: unchanged", "status: failed"}}));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 0);
}

// A report from another run (Puppet's `report` setting off, or a write that
// failed) is not used: success comes from the summary's failed count, and
// noop is unknown.
TEST(PuppetCollector, AReportFromAnotherRunIsNotUsed) {
  Host host;
  host.AddRun(kFailed);
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport, Fixture(kDrift, kDebianReport));
  // The drift report is from the run a few seconds before, with another
  // catalog version.
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 0);
  EXPECT_FALSE(host.Value("strata_convergence_noop"));
  EXPECT_EQ(CountSamples(host.families_, "strata_puppet_last_run_status"), 0u);
  EXPECT_THAT(host.log_.str(), HasSubstr("another run"));
}

TEST(PuppetCollector, AReportWithoutASummary) {
  Host host;
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport, Fixture(kFailed, kDebianReport));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 0);
  EXPECT_NEAR(*host.Value("strata_convergence_last_run_timestamp_seconds"), 1795319313.09, 0.01);
  EXPECT_EQ(host.Value("strata_convergence_tool_version_info", {{"version", "7.23.0"}}), 1);
  EXPECT_EQ(CountSamples(host.families_, "strata_convergence_resources"), 0u);
}

TEST(PuppetCollector, TheAioLayoutWinsWhenItHasFiles) {
  Host host;
  host.AddRun(kDrift);                            // Debian's, left over
  host.AddRun(kFailed, kAioSummary, kAioReport);  // AIO's, current
  host.fs_.AddFile(HostRoot::kRootfs, kDebianLock, R"({"disabled_message":"stale"})");
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 0);
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 0);

  host.fs_.AddFile(HostRoot::kRootfs, kAioLock, R"({"disabled_message":"current"})");
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 1);
  EXPECT_EQ(host.Value("strata_puppet_disabled_info", {{"message", "current"}}), 1);
}

TEST(PuppetCollector, FlagsNameTheFiles) {
  Host host;
  host.AddRun(kDrift);
  host.AddRun(kFailed, "srv/puppet/summary.yaml", "srv/puppet/report.yaml");
  host.fs_.AddFile(HostRoot::kRootfs, "srv/puppet/lock", "{}");
  PuppetCollectorOptions options;
  options.summary_file = "/srv/puppet/summary.yaml";
  options.report_file = "/srv/puppet/report.yaml";
  options.disabled_lock_file = "/srv/puppet/lock";
  ASSERT_TRUE(host.Collect(options).ok());
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 0);
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 1);
  // An empty lock (made by hand) disables the agent; there is no message.
  EXPECT_EQ(CountSamples(host.families_, "strata_puppet_disabled_info"), 0u);
}

TEST(PuppetCollector, ADisabledAgentWithoutARun) {
  Host host;
  host.fs_.AddFile(HostRoot::kRootfs, kDebianLock, R"({"disabled_message":"maintenance"})");
  FileStat stat;
  stat.size = 34;
  stat.mtime = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);
  host.fs_.SetStat(HostRoot::kRootfs, kDebianLock, stat);
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 1);
  EXPECT_NEAR(*host.Value("strata_puppet_disabled_since_timestamp_seconds"), 1700000000.25, 1e-6);
  EXPECT_EQ(host.Value("strata_puppet_disabled_info", {{"message", "maintenance"}}), 1);
  EXPECT_FALSE(host.Value("strata_convergence_last_run_timestamp_seconds"));
}

TEST(PuppetCollector, ALongMessageIsCut) {
  Host host;
  host.fs_.AddFile(HostRoot::kRootfs, kDebianLock,
                   absl::StrCat(R"({"disabled_message":")", std::string(1000, 'm'), "\"}"));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_puppet_disabled_info",
                       {{"message", std::string(kPuppetMaxLabelBytes, 'm')}}),
            1);
}

// The defect: an agent that applied its cached catalog because the new one
// did not compile says so only on the report's last line, which a head-only
// read never saw; the run looked converged.
TEST(PuppetCollector, ACachedCatalogAppliedOnFailureIsReported) {
  Host host;
  host.AddRun(kDrift);
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "not_used"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "on_failure"}}), 0);
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "explicitly_requested"}}),
            0);
  EXPECT_EQ(host.Value("strata_puppet_transaction_completed"), 1);

  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport,
                   absl::StrReplaceAll(
                       Fixture(kDrift, kDebianReport),
                       {{"cached_catalog_status: not_used", "cached_catalog_status: on_failure"}}));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "on_failure"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "not_used"}}), 0);
  EXPECT_EQ(CountSamples(host.families_, "strata_puppet_cached_catalog_status"), 3u);
  // What Puppet itself says of the run is unchanged.
  EXPECT_EQ(host.Value("strata_puppet_last_run_status", {{"status", "unchanged"}}), 1);
}

TEST(PuppetCollector, AnUnfinishedTransactionIsReported) {
  Host host;
  host.AddRun(kFailed);
  host.fs_.AddFile(
      HostRoot::kRootfs, kDebianReport,
      absl::StrReplaceAll(Fixture(kFailed, kDebianReport),
                          {{"transaction_completed: true", "transaction_completed: false"}}));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_puppet_transaction_completed"), 0);
}

// A report without the key (older Puppet) has no cached-catalog series, and
// an unknown value is kept as its own label value.
TEST(PuppetCollector, CachedCatalogStatusAbsentOrUnknown) {
  Host host;
  host.AddRun(kDrift);
  const std::string real = Fixture(kDrift, kDebianReport);
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport,
                   real.substr(0, real.rfind("cached_catalog_status:")));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(CountSamples(host.families_, "strata_puppet_cached_catalog_status"), 0u);
  EXPECT_EQ(host.Value("strata_puppet_noop_pending"), 1);

  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport,
                   absl::StrReplaceAll(real, {{"cached_catalog_status: not_used",
                                               "cached_catalog_status: sideloaded"}}));
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "sideloaded"}}), 1);
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "not_used"}}), 0);
}

TEST(PuppetCollector, ABrokenTailIsAnErrorAndTheHeadStillCounts) {
  Host host;
  host.AddRun(kDrift);
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport,
                   absl::StrReplaceAll(
                       Fixture(kDrift, kDebianReport),
                       {{"cached_catalog_status: not_used", "cached_catalog_status: [not_used"}}));
  absl::Status status = host.Collect();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("/fake/root/var/cache/puppet/state/last_run_report.yaml: "
                        "cached_catalog_status"));
  EXPECT_EQ(CountSamples(host.families_, "strata_puppet_cached_catalog_status"), 0u);
  EXPECT_EQ(host.Value("strata_puppet_noop_pending"), 1);
}

// Puppet renames a new report into place; a tail read after that belongs to
// another run than the head, and is not used.
class ReplacedAfterTailRead : public FakeHostFs {
 public:
  std::string replacement;
  absl::StatusOr<std::string> ReadFileTail(HostRoot root, absl::string_view path,
                                           size_t max_bytes) const override {
    absl::StatusOr<std::string> tail = FakeHostFs::ReadFileTail(root, path, max_bytes);
    const_cast<ReplacedAfterTailRead*>(this)->AddFile(root, std::string(path), replacement);
    return tail;
  }
};

TEST(PuppetCollector, ATailFromAReplacedReportIsNotUsed) {
  ReplacedAfterTailRead fs;
  fs.AddFile(HostRoot::kRootfs, kDebianSummary, Fixture(kDrift, kDebianSummary));
  fs.AddFile(HostRoot::kRootfs, kDebianReport, Fixture(kDrift, kDebianReport));
  fs.replacement = Fixture(kFailed, kDebianReport);
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  std::vector<prometheus::MetricFamily> families;
  ASSERT_TRUE(NewPuppetCollector({fs, logger}, {})->Collect(families).ok());
  EXPECT_EQ(CountSamples(families, "strata_puppet_cached_catalog_status"), 0u);
  EXPECT_EQ(FindSample(families, "strata_puppet_noop_pending"), 1);  // the head still counts
  EXPECT_THAT(log.str(), HasSubstr("changed while it was read"));
}

// A report of a large catalog: the status on its last line is found without
// reading the MiBs before it.
TEST(PuppetCollector, TheTailOfAHugeReportIsReadWithoutItsMiddle) {
  Host host;
  host.AddRun(kDrift);
  const std::string real = Fixture(kDrift, kDebianReport);
  const size_t bulk = real.find("resource_statuses:\n") + 19;
  std::string report = real.substr(0, bulk);
  const std::string status =
      "    title: x\n    resource_type: File\n    failed: false\n    changed: false\n";
  for (int i = 0; report.size() < (40u << 20); ++i) {
    absl::StrAppend(&report, "  File[/srv/data/", i, "]:\n", status);
  }
  report += "  File[/srv/broken]: [unclosed, {flow\n";  // no parser of the middle gets past this
  report += absl::StrReplaceAll(real.substr(real.rfind("corrective_change:")),
                                {{"not_used", "on_failure"}});
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport, report);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(host.Value("strata_puppet_cached_catalog_status", {{"status", "on_failure"}}), 1);
}

// --- The collector on bad input ---------------------------------------------------------

// Bad input is an error naming the file; what could be read is still served.
TEST(PuppetCollector, TruncatedSummary) {
  Host host;
  host.AddRun(kDrift);
  const std::string real = Fixture(kDrift, kDebianSummary);
  host.fs_.AddFile(HostRoot::kRootfs, kDebianSummary, real.substr(0, real.size() / 2));
  absl::Status status = host.Collect();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("/fake/root/var/cache/puppet/public/last_run_summary.yaml: "));
  // The report alone still tells the run's status.
  EXPECT_EQ(host.Value("strata_convergence_last_run_success"), 1);
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 0);
}

TEST(PuppetCollector, StringWhereANumberBelongs) {
  Host host;
  host.AddRun(kDrift);
  host.fs_.AddFile(
      HostRoot::kRootfs, kDebianSummary,
      absl::StrReplaceAll(Fixture(kDrift, kDebianSummary), {{"last_run: ", "last_run: x"}}));
  absl::Status status = host.Collect();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("time.last_run: \"x"));
}

TEST(PuppetCollector, SummaryOverTheCap) {
  Host host;
  host.AddRun(kDrift);
  host.fs_.AddFile(
      HostRoot::kRootfs, kDebianSummary,
      Fixture(kDrift, kDebianSummary) + "# " + std::string(kPuppetSummaryMaxBytes, 'x') + "\n");
  absl::Status status = host.Collect();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("last_run_summary.yaml"));
}

TEST(PuppetCollector, AReportWhoseHeadIsNotWithinTheCap) {
  Host host;
  host.AddRun(kDrift);
  std::string report = "--- !ruby/object:Puppet::Transaction::Report\nlogs:\n";
  while (report.size() <= kPuppetReportHeadMaxBytes) report += "- level: notice\n  message: m\n";
  const std::string real = Fixture(kDrift, kDebianReport);
  report += real.substr(real.find('\n') + 1);
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport, report);
  absl::Status status = host.Collect();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("last_run_report.yaml: no status in its first 1048576 bytes"));
  EXPECT_EQ(host.Value("strata_convergence_last_run_timestamp_seconds"), 1795319309);
}

TEST(PuppetCollector, AHugeReportIsReadOnlyAsFarAsItsHead) {
  Host host;
  host.AddRun(kDrift);
  std::string report = Fixture(kDrift, kDebianReport);
  report += "# padding\n" + std::string(40 << 20, '#');  // a YAML comment, after the head
  host.fs_.AddFile(HostRoot::kRootfs, kDebianReport, report);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(host.Collect().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(host.Value("strata_convergence_noop"), 1);
}

TEST(PuppetCollector, PermissionDenied) {
  Host host;
  host.AddRun(kDrift);
  host.fs_.FailWith(
      HostRoot::kRootfs, kDebianSummary,
      absl::PermissionDeniedError("open /fake/root/var/cache/puppet/public/last_run_summary.yaml: "
                                  "Permission denied"));
  absl::Status status = host.Collect();
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("last_run_summary.yaml: Permission denied"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("CAP_DAC_READ_SEARCH"));
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 0);
}

TEST(PuppetCollector, UnreadableLockStillSaysDisabled) {
  Host host;
  host.fs_.AddFile(HostRoot::kRootfs, kDebianLock, "{\"disabled_message\": ");
  absl::Status status = host.Collect();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("agent_disabled.lock: not JSON"));
  EXPECT_EQ(host.Value("strata_convergence_agent_disabled"), 1);
}

// --- On a real file system ----------------------------------------------------------------

TEST(PuppetCollector, SymlinkLoopOnARealFileSystem) {
  TempDir dir("strata-puppet");
  ASSERT_TRUE(dir.ok());
  const fs::path public_dir = dir.path() / "var/cache/puppet/public";
  fs::create_directories(public_dir);
  fs::create_symlink("last_run_summary.yaml", public_dir / "last_run_summary.yaml");
  HostPaths paths;
  paths.rootfs = dir.path();
  std::unique_ptr<HostFs> real = NewRealHostFs(paths);
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  std::vector<prometheus::MetricFamily> families;
  absl::Status status = NewPuppetCollector({*real, logger}, {})->Collect(families);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("last_run_summary.yaml"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("symbolic links"));
  EXPECT_EQ(FindSample(families, "strata_convergence_agent_disabled", {{"tool", "puppet"}}), 0);
}

// A FIFO where the summary belongs would block a plain read forever.
TEST(PuppetCollector, AFifoIsRefusedNotRead) {
  TempDir dir("strata-puppet");
  ASSERT_TRUE(dir.ok());
  const fs::path state_dir = dir.path() / "var/cache/puppet/state";
  const fs::path public_dir = dir.path() / "var/cache/puppet/public";
  fs::create_directories(state_dir);
  fs::create_directories(public_dir);
  ASSERT_EQ(mkfifo((public_dir / "last_run_summary.yaml").c_str(), 0600), 0);
  ASSERT_EQ(mkfifo((state_dir / "last_run_report.yaml").c_str(), 0600), 0);
  HostPaths paths;
  paths.rootfs = dir.path();
  std::unique_ptr<HostFs> real = NewRealHostFs(paths);
  std::ostringstream log;
  Logger logger(LogLevel::kDebug, log);
  std::vector<prometheus::MetricFamily> families;
  absl::Status status = NewPuppetCollector({*real, logger}, {})->Collect(families);
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace strata
