// The cgroup collector against a real Podman container: a PodmanSandbox runs
// a busybox container under CPU, memory and PIDs limits, with labels, and the
// built exporter is pointed at its cgroups and at the sandbox's API socket.
// The scrape must identify the container's cgroup, carry its limits and its
// engine metadata, and forget it once it is stopped. Needs root, podman, runc
// and busybox-static (CI installs them); without them the tests fail.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"
#include "tests/support/podman_sandbox.h"
#include "tests/support/prometheus_server.h"

namespace strata::testing {
namespace {

using ::testing::IsEmpty;

constexpr char kSuccess[] = "strata_scrape_collector_success{collector=\"cgroup\"}";
// Burns some CPU time (about 0.2 s on a CI machine), says so, then idles.
constexpr char kBusyThenSleep[] =
    "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo busy-loop-done; "
    "exec /bin/busybox sleep 300";

// The lines of `exposition` that contain `text`, for failure messages.
std::string LinesWith(const std::string& exposition, const std::string& text) {
  std::string found;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, "#") && absl::StrContains(line, text)) {
      absl::StrAppend(&found, line, "\n");
    }
  }
  return found.empty() ? "(no line contains " + text + ")\n" : found;
}

class CgroupPodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string error = sandbox_.Start();
    ASSERT_TRUE(error.empty()) << error;
    name_ = "strata-test-" + sandbox_.unique();
  }

  // Every exporter is a local of the test body, so it has been waited for
  // before Cleanup() reaps this process's children.
  void TearDown() override { EXPECT_THAT(sandbox_.Cleanup(), IsEmpty()) << "left behind"; }

  // Runs the limited, labelled busy-then-sleep container; sets id_, short_id_, cgroup_.
  void RunLimitedContainer() {
    PodmanResult run =
        sandbox_.RunContainer(name_, {{"strata.test", "1"}, {"team", "storage"}},
                              {"--cpus", "0.5", "--memory", "64m", "--pids-limit", "100"},
                              {"/bin/busybox", "sh", "-c", kBusyThenSleep});
    ASSERT_TRUE(run.ok()) << run.error;
    id_ = run.value;
    short_id_ = id_.substr(0, 12);
    cgroup_ = sandbox_.ContainerCgroup(id_);
  }

  // Waits until the container's busy loop has finished.
  void WaitForBusyLoop() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      PodmanResult logs = sandbox_.Podman({"logs", id_});
      ASSERT_TRUE(logs.ok()) << logs.error;
      if (absl::StrContains(logs.value, "busy-loop-done")) return;
      ASSERT_LT(absl::Now(), deadline) << "the busy loop did not finish in 30 s:\n" << logs.value;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::vector<std::string> ExporterFlags(const std::string& socket) const {
    return {"--web.listen-address=127.0.0.1:0",
            "--collector.disable-defaults",
            "--collector.cgroup",
            "--collector.cgroup.docker-socket=" + socket,
            "--collector.cgroup.docker-labels=team,strata.test",
            "--collector.cgroup.path-include=^" + sandbox_.cgroup_parent()};
  }

  // A series of the container's cgroup, as the exporter writes it.
  std::string Series(const std::string& metric, const std::string& extra = "") const {
    return absl::StrCat(metric, "{cgroup=\"", cgroup_, "\"", extra, "}");
  }

  std::string CgroupInfo(const std::string& name) const {
    return Series("strata_cgroup_info", absl::StrCat(",kind=\"container\",runtime=\"podman\",id=\"",
                                                     short_id_, "\",name=\"", name, "\""));
  }

  PodmanSandbox sandbox_;
  std::string name_;
  std::string id_;
  std::string short_id_;
  std::string cgroup_;
};

std::string Scrape(int port) {
  HttpResult result = HttpGet(absl::StrCat("http://127.0.0.1:", port, "/metrics"));
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 200);
  return result.body;
}

TEST_F(CgroupPodmanTest, ReportsTheContainerWithLimitsAndEngineMetadataUntilItStops) {
  ASSERT_NO_FATAL_FAILURE(RunLimitedContainer());
  PodmanResult image = sandbox_.Inspect(id_, "{{.ImageName}}");
  ASSERT_TRUE(image.ok()) << image.error;
  PodmanResult image_id = sandbox_.Inspect(id_, "{{.Image}}");
  ASSERT_TRUE(image_id.ok()) << image_id.error;
  ASSERT_NO_FATAL_FAILURE(WaitForBusyLoop());

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.socket_path()))) << exporter.stderr_text();
  const std::string body = Scrape(exporter.port());

  EXPECT_EQ(SampleValue(body, kSuccess), 1) << exporter.stderr_text();
  EXPECT_EQ(SampleValue(body, CgroupInfo(name_)), 1) << LinesWith(body, "strata_cgroup_info");
  // The API gives the image id with its algorithm; podman inspect without it.
  const std::string container_info =
      absl::StrCat("strata_container_info{id=\"", short_id_, "\",name=\"", name_, "\",image=\"",
                   image.value, "\",image_id=\"sha256:", image_id.value,
                   "\",label_team=\"storage\",label_strata_test=\"1\"}");
  EXPECT_EQ(SampleValue(body, container_info), 1) << LinesWith(body, "strata_container_info");
  std::optional<double> created = SampleValue(
      body, absl::StrCat("strata_container_created_timestamp_seconds{id=\"", short_id_, "\"}"));
  ASSERT_TRUE(created.has_value()) << LinesWith(body, "strata_container_created");
  EXPECT_NEAR(*created, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), 60);

  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_cpu_limit_cores")), 0.5)
      << LinesWith(body, cgroup_);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_memory_limit_bytes")), 67108864);
  EXPECT_EQ(SampleValue(body, Series("strata_cgroup_pids_limit")), 100);
  std::optional<double> user =
      SampleValue(body, Series("strata_cgroup_cpu_usage_seconds_total", ",mode=\"user\""));
  ASSERT_TRUE(user.has_value()) << LinesWith(body, cgroup_);
  EXPECT_GT(*user, 0);

  // Once stopped, the container's cgroup goes (podman's cleanup removes it,
  // maybe a moment after `podman stop` returns) and so do all its series.
  PodmanResult stop = sandbox_.StopContainer(id_);
  ASSERT_TRUE(stop.ok()) << stop.error;
  std::string after;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    after = Scrape(exporter.port());
    if (!absl::StrContains(after, cgroup_) && !absl::StrContains(after, short_id_)) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  EXPECT_FALSE(absl::StrContains(after, cgroup_)) << LinesWith(after, cgroup_);
  EXPECT_FALSE(absl::StrContains(after, short_id_)) << LinesWith(after, short_id_);
  EXPECT_EQ(SampleValue(after, kSuccess), 1) << exporter.stderr_text();

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

// `podman rename` keeps the container's id and cgroup, so the set of
// containers does not change; the new name used never to show.
TEST_F(CgroupPodmanTest, ARenamedContainerShowsItsNewNameWithinTheRefreshInterval) {
  ASSERT_NO_FATAL_FAILURE(RunLimitedContainer());
  ExporterProcess exporter;
  std::vector<std::string> flags = ExporterFlags(sandbox_.socket_path());
  flags.push_back("--collector.cgroup.docker-refresh-interval=2s");
  ASSERT_TRUE(exporter.Start(flags)) << exporter.stderr_text();
  const std::string before = Scrape(exporter.port());
  EXPECT_EQ(SampleValue(before, CgroupInfo(name_)), 1) << LinesWith(before, "strata_cgroup_info");

  const std::string renamed = name_ + "-renamed";
  PodmanResult rename = sandbox_.Podman({"rename", id_, renamed});
  ASSERT_TRUE(rename.ok()) << rename.error;
  const absl::Time renamed_at = absl::Now();
  std::string after;
  do {
    absl::SleepFor(absl::Milliseconds(200));
    after = Scrape(exporter.port());
  } while (!SampleValue(after, CgroupInfo(renamed)).has_value() &&
           absl::Now() - renamed_at < absl::Seconds(15));
  const absl::Duration took = absl::Now() - renamed_at;
  EXPECT_EQ(SampleValue(after, CgroupInfo(renamed)), 1) << LinesWith(after, "strata_cgroup_info");
  EXPECT_THAT(LinesWith(after, "strata_container_info{"),
              ::testing::HasSubstr("name=\"" + renamed + "\""));
  EXPECT_FALSE(absl::StrContains(after, "name=\"" + name_ + "\"")) << LinesWith(after, short_id_);
  // Within the interval, plus a scrape and the engine's answer.
  EXPECT_LT(took, absl::Seconds(5)) << took;
  EXPECT_EQ(SampleValue(after, kSuccess), 1) << exporter.stderr_text();

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

// With the cgroupfs manager Podman runs each container's conmon in
// "<cgroup parent>/conmon", which is noise and left out by default.
TEST_F(CgroupPodmanTest, TheConmonCgroupIsNotReported) {
  ASSERT_NO_FATAL_FAILURE(RunLimitedContainer());
  const std::string conmon = sandbox_.cgroup_parent() + "/conmon";
  bool conmon_exists = false;
  for (const char* hierarchy : {"cpu", "memory", "pids", "unified"}) {
    conmon_exists |= access(absl::StrCat("/sys/fs/cgroup/", hierarchy, conmon).c_str(), F_OK) == 0;
  }
  ASSERT_TRUE(conmon_exists) << conmon << " was not made by podman";

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.socket_path()))) << exporter.stderr_text();
  const std::string body = Scrape(exporter.port());
  EXPECT_EQ(SampleValue(body, CgroupInfo(name_)), 1) << LinesWith(body, "strata_cgroup_info");
  EXPECT_FALSE(absl::StrContains(body, "cgroup=\"" + conmon + "\"")) << LinesWith(body, conmon);
  EXPECT_GE(SampleValue(body, "strata_cgroup_skipped{reason=\"filter\"}"), 1);

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

TEST_F(CgroupPodmanTest, WithoutTheEngineTheContainerIsIdentifiedFromItsCgroupPath) {
  ASSERT_NO_FATAL_FAILURE(RunLimitedContainer());

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags("/nonexistent.sock"))) << exporter.stderr_text();
  const std::string body = Scrape(exporter.port());

  EXPECT_EQ(SampleValue(body, kSuccess), 1) << exporter.stderr_text();
  EXPECT_EQ(SampleValue(body, CgroupInfo("")), 1) << LinesWith(body, "strata_cgroup_info");
  EXPECT_FALSE(absl::StrContains(body, "strata_container_info{"))
      << LinesWith(body, "strata_container_info");
  EXPECT_FALSE(absl::StrContains(body, "strata_container_created_timestamp_seconds{"))
      << LinesWith(body, "strata_container_created_timestamp_seconds");

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The samples of an exposition (label values without escapes, as these are).
std::vector<Sample> ParseSamples(const std::string& body) {
  static const std::regex kLine(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$)");
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)")re");
  std::vector<Sample> samples;
  for (absl::string_view view : absl::StrSplit(body, '\n')) {
    const std::string line(view);
    std::smatch match;
    if (line.empty() || line[0] == '#' || !std::regex_match(line, match, kLine)) continue;
    Sample sample{match[1], {}, std::stod(match[3])};
    const std::string labels = match[2];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kLabel);
         it != std::sregex_iterator(); ++it) {
      sample.labels[(*it)[1]] = (*it)[2];
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

// `podman diff` of a container: "C /etc", "A /etc/x", "D /etc/y" lines, as
// {path, kind} with the collector's kind names.
std::map<std::string, std::string> PodmanDiff(PodmanSandbox& sandbox, const std::string& id) {
  PodmanResult diff = sandbox.Podman({"diff", id});
  EXPECT_TRUE(diff.ok()) << diff.error;
  std::map<std::string, std::string> changes;
  const std::map<std::string, std::string> kinds = {
      {"C", "modified"}, {"A", "added"}, {"D", "deleted"}};
  for (absl::string_view line : absl::StrSplit(diff.value, '\n', absl::SkipWhitespace())) {
    std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (fields.size() == 2 && kinds.count(fields[0])) changes[fields[1]] = kinds.at(fields[0]);
  }
  return changes;
}

// The series of `metric` for the container `short_id`, by the value of `label`.
std::map<std::string, double> ByLabel(const std::string& body, const std::string& metric,
                                      const std::string& short_id, const std::string& label) {
  std::map<std::string, double> values;
  for (const Sample& sample : ParseSamples(body)) {
    if (sample.name != metric) continue;
    auto id = sample.labels.find("id");
    auto key = sample.labels.find(label);
    if (id == sample.labels.end() || id->second != short_id || key == sample.labels.end()) continue;
    values[key->second] = sample.value;
  }
  return values;
}

// Inside a running container, one file under /etc changed, one added and one
// deleted, plus writes where change is expected: the exporter's counts and
// paths are what `podman diff` prints, and the start and image times what
// `podman inspect` says.
TEST_F(CgroupPodmanTest, DriftFromTheImageIsWhatPodmanDiffSays) {
  PodmanResult run = sandbox_.RunContainer(name_, {});
  ASSERT_TRUE(run.ok()) << run.error;
  id_ = run.value;
  short_id_ = id_.substr(0, 12);
  PodmanResult exec = sandbox_.Podman(
      {"exec", id_, "/bin/busybox", "sh", "-c",
       "echo level=debug >> /etc/strata/app.conf && echo new > /etc/strata/added.conf && "
       "rm /etc/strata/old.conf && echo scratch > /tmp/scratch && echo line >> /var/log/app.log"});
  ASSERT_TRUE(exec.ok()) << exec.error;
  const std::map<std::string, std::string> diff = PodmanDiff(sandbox_, id_);
  ASSERT_EQ(diff.count("/etc/strata/app.conf"), 1u) << ::testing::PrintToString(diff);

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.socket_path()))) << exporter.stderr_text();
  const absl::Time before = absl::Now();
  const std::string body = Scrape(exporter.port());
  const absl::Duration took = absl::Now() - before;
  EXPECT_EQ(SampleValue(body, kSuccess), 1) << exporter.stderr_text();

  // Every path podman lists is counted once: as drift by kind, or as expected.
  std::map<std::string, double> want_counts = {{"added", 0}, {"deleted", 0}, {"modified", 0}};
  std::map<std::string, double> want_paths;
  double want_expected = 0;
  for (const auto& [path, kind] : diff) {
    const bool expected = absl::StartsWith(path, "/tmp") || absl::StartsWith(path, "/var");
    if (expected) {
      ++want_expected;
      continue;
    }
    ++want_counts[kind];
    if (absl::StartsWith(path, "/etc")) want_paths[path + " " + kind] = 1;
  }
  EXPECT_EQ(ByLabel(body, "strata_container_drift_paths", short_id_, "kind"), want_counts)
      << ::testing::PrintToString(diff) << LinesWith(body, "strata_container_drift");
  EXPECT_EQ(SampleValue(body, absl::StrCat("strata_container_drift_expected_paths{id=\"", short_id_,
                                           "\"}")),
            want_expected);
  std::map<std::string, double> got_paths;
  for (const Sample& sample : ParseSamples(body)) {
    if (sample.name != "strata_container_drift_path_info") continue;
    got_paths[sample.labels.at("path") + " " + sample.labels.at("kind")] = sample.value;
  }
  EXPECT_EQ(got_paths, want_paths) << ::testing::PrintToString(diff);
  for (const char* change : {"/etc/strata/app.conf modified", "/etc/strata/added.conf added",
                             "/etc/strata/old.conf deleted"}) {
    EXPECT_EQ(got_paths.count(change), 1u) << change;
  }
  EXPECT_EQ(SampleValue(
                body, absl::StrCat("strata_container_drift_watched_paths{id=\"", short_id_, "\"}")),
            static_cast<double>(want_paths.size()));
  EXPECT_EQ(SampleValue(
                body, absl::StrCat("strata_container_drift_skipped_paths{id=\"", short_id_, "\"}")),
            0);
  std::optional<double> computed =
      SampleValue(body, absl::StrCat("strata_container_drift_last_computed_timestamp_seconds{id=\"",
                                     short_id_, "\"}"));
  ASSERT_TRUE(computed.has_value()) << LinesWith(body, "strata_container_drift");
  EXPECT_NEAR(*computed, absl::ToDoubleSeconds(before - absl::UnixEpoch()), 10);

  // Start and image build times, as podman inspect gives them (Unix seconds).
  PodmanResult started = sandbox_.Inspect(id_, "{{.State.StartedAt.Unix}}");
  ASSERT_TRUE(started.ok()) << started.error;
  std::optional<double> started_at = SampleValue(
      body, absl::StrCat("strata_container_started_timestamp_seconds{id=\"", short_id_, "\"}"));
  ASSERT_TRUE(started_at.has_value()) << LinesWith(body, short_id_);
  double started_unix = 0;
  ASSERT_TRUE(absl::SimpleAtod(started.value, &started_unix)) << started.value;
  EXPECT_EQ(std::floor(*started_at), started_unix);
  PodmanResult image_created =
      sandbox_.Podman({"image", "inspect", "--format", "{{.Created.Unix}}", PodmanSandbox::kImage});
  ASSERT_TRUE(image_created.ok()) << image_created.error;
  std::optional<double> image_at = SampleValue(
      body,
      absl::StrCat("strata_container_image_created_timestamp_seconds{id=\"", short_id_, "\"}"));
  ASSERT_TRUE(image_at.has_value()) << LinesWith(body, short_id_);
  double image_unix = 0;
  const std::string image_text(absl::StripAsciiWhitespace(image_created.value));
  ASSERT_TRUE(absl::SimpleAtod(image_text.substr(image_text.find_last_of('\n') + 1), &image_unix))
      << image_created.value;
  EXPECT_EQ(std::floor(*image_at), image_unix);
  std::cerr << "first scrape with drift: " << took
            << "; podman diff: " << ::testing::PrintToString(diff) << "\n";

  // Within the interval a second scrape asks the engine nothing new: the
  // computation time stays.
  const std::string again = Scrape(exporter.port());
  EXPECT_EQ(SampleValue(again,
                        absl::StrCat("strata_container_drift_last_computed_timestamp_seconds{id=\"",
                                     short_id_, "\"}")),
            computed);

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

// A second build of the image, run next to the first: its repository runs
// two digests in a real Prometheus evaluating the project's rules.
TEST_F(CgroupPodmanTest, ASecondImageBuildMakesTheRepositorysDigestCountTwoInPrometheus) {
  if (!PrometheusAvailable())
    GTEST_FAIL() << "prometheus is not installed (Debian package prometheus)";
  PodmanResult second = sandbox_.BuildImage("localhost/strata-test-busybox:v2", "2");
  ASSERT_TRUE(second.ok()) << second.error;
  PodmanResult first_run = sandbox_.RunContainer(name_, {});
  ASSERT_TRUE(first_run.ok()) << first_run.error;
  PodmanResult second_run = sandbox_.RunContainer(
      name_ + "-v2", {}, {}, {"/bin/busybox", "sleep", "300"}, "localhost/strata-test-busybox:v2");
  ASSERT_TRUE(second_run.ok()) << second_run.error;

  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(ExporterFlags(sandbox_.socket_path()))) << exporter.stderr_text();
  PrometheusServer prometheus;
  ASSERT_TRUE(prometheus.Start(absl::StrCat("127.0.0.1:", exporter.port()),
                               {std::string(STRATA_SOURCE_DIR) + "/alerts/strata.rules.yml"}))
      << prometheus.log();
  const std::string query =
      "strata:container_image_digests:count{repository=\"localhost/strata-test-busybox\"}";
  PromQueryResult result;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    absl::SleepFor(absl::Milliseconds(250));
    result = prometheus.Query(query);
    ASSERT_TRUE(result.ok) << result.error;
  } while (result.samples.empty() && absl::Now() < deadline);
  ASSERT_EQ(result.samples.size(), 1u) << result.body << prometheus.log();
  EXPECT_EQ(result.samples[0].value, 2);
  PromQueryResult hosts = prometheus.Query(
      "strata:container_image_digest_hosts:count{repository=\"localhost/strata-test-busybox\"}");
  ASSERT_TRUE(hosts.ok) << hosts.error;
  std::set<std::string> image_ids;
  for (const PromSample& sample : hosts.samples) {
    image_ids.insert(sample.labels.at("image_id"));
    EXPECT_EQ(sample.value, 1);
  }
  EXPECT_EQ(image_ids, (std::set<std::string>{
                           "sha256:" + second.value,
                           "sha256:" + sandbox_.Inspect(first_run.value, "{{.Image}}").value}));
  prometheus.Stop();
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

}  // namespace
}  // namespace strata::testing
