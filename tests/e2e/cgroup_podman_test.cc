// The cgroup collector against a real Podman container: a PodmanSandbox runs
// a busybox container under CPU, memory and PIDs limits, with labels, and the
// built exporter is pointed at its cgroups and at the sandbox's API socket.
// The scrape must identify the container's cgroup, carry its limits and its
// engine metadata, and forget it once it is stopped. Needs root, podman, runc
// and busybox-static (CI installs them); without them the tests fail.
#include <signal.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

}  // namespace
}  // namespace strata::testing
