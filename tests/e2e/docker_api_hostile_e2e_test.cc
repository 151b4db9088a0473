// The built exporter against a container engine that misbehaves while it
// asks about each container's drift: one that hangs, one that answers
// malformed or non-UTF-8 JSON, and one whose container has a million
// changes. The cgroup collector reads the hybrid Firecracker capture (its
// docker and podman containers are those of the observability engine
// answer) beside the host collector, on the host capture of the same guest; the engine is a fake on
// a unix socket below --path.rootfs. The scrape must answer within its deadline, the cgroup
// collector fail alone with the request and the socket named, and the cost be
// paid at most once per drift interval.
#include <signal.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/fake_engine.h"
#include "tests/support/http_client.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(STRATA_SOURCE_DIR) / "tests/fixtures";
const fs::path kCapture = kFixtures / "cgroup/hybrid-firecracker-6.18";
constexpr char kWeb[] = "dae8e2222869e96e9b6a6b583c9dd7ad32ff53440051fb6bbe1bc14adea36a1b";
constexpr char kBatch[] = "bf941dfe1593b8a1d67686dbfae0c9500559db384f6e20df91505184de2b2c38";
constexpr char kCgroupSuccess[] = "strata_scrape_collector_success{collector=\"cgroup\"}";
constexpr char kHostSuccess[] = "strata_scrape_collector_success{collector=\"host\"}";

std::string Series(const char* metric, const char* id, const std::string& extra = "") {
  return absl::StrCat(metric, "{id=\"", std::string(id).substr(0, 12), "\"", extra, "}");
}

class EngineHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/strata-engine-hostile-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    rootfs_ = dir_template;
    fs::create_directories(rootfs_ / "run");
    // The cgroup capture and the host capture of the same Firecracker guest
    // (they touch different files), so that the host collector succeeds.
    for (const char* tree : {"proc", "sys"}) {
      fs::create_directories(rootfs_ / "host" / tree);
      for (const fs::path& source :
           {kCapture / tree, kFixtures / "host/kvm-guest-firecracker-6.18" / tree}) {
        fs::copy(source, rootfs_ / "host" / tree,
                 fs::copy_options::recursive | fs::copy_options::skip_existing);
      }
    }
    engine_.emplace((rootfs_ / "run/engine.sock").string());
    ASSERT_TRUE(engine_->ok());
    engine_->Route("/containers/json",
                   ReadWholeFile(kFixtures / "observability/engine-containers.json"));
    for (const char* id : {kWeb, kBatch}) {
      engine_->Route(absl::StrCat("/containers/", id, "/json"),
                     R"({"State":{"StartedAt":"2026-11-23T20:09:22Z"}})");
    }
    for (const char* image :
         {"sha256:3f8a4339aadda5897b744682f5f774dc69991a81af8d715d37a616bb4c99edf5",
          "sha256:a1937db3d1b8e9bca90e935889199ae315f7aa7ab30ab609792d53340e09c89a"}) {
      engine_->Route(absl::StrCat("/images/", image, "/json"),
                     R"({"Created":"2026-11-01T00:00:00Z"})");
    }
    engine_->Route(absl::StrCat("/containers/", kBatch, "/changes"),
                   R"([{"Path":"/etc","Kind":0},{"Path":"/etc/hosts","Kind":0}])");
  }

  void TearDown() override {
    engine_.reset();
    std::error_code error;
    fs::remove_all(rootfs_, error);
  }

  // The exporter with the scrape timeout at its default (10 s) unless `scrape_timeout` is set.
  bool StartExporter(ExporterProcess& exporter, const std::string& drift_timeout,
                     const std::string& scrape_timeout = "10s") {
    return exporter.Start(
        {"--web.listen-address=127.0.0.1:0", "--collector.disable-defaults", "--collector.host",
         "--collector.cgroup", "--collector.cgroup.docker-socket=/run/engine.sock",
         "--collector.cgroup.drift-timeout=" + drift_timeout, "--scrape.timeout=" + scrape_timeout,
         "--path.procfs=" + (rootfs_ / "host/proc").string(),
         "--path.sysfs=" + (rootfs_ / "host/sys").string(), "--path.rootfs=" + rootfs_.string()});
  }

  // A scrape and how long it took.
  std::pair<std::string, absl::Duration> Scrape(const ExporterProcess& exporter) {
    const absl::Time start = absl::Now();
    HttpGetOptions options;
    options.timeout_ms = 30000;
    HttpResult result =
        HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"), options);
    EXPECT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.status, 200);
    return {result.body, absl::Now() - start};
  }

  fs::path rootfs_;
  std::optional<FakeEngine> engine_;
};

TEST_F(EngineHostileTest, AHungEngineFailsTheCgroupCollectorAloneWithinTheDeadline) {
  engine_->Hang(absl::StrCat("/containers/", kWeb, "/changes"));
  ExporterProcess exporter;
  ASSERT_TRUE(StartExporter(exporter, "1s")) << exporter.stderr_text();
  const auto [body, took] = Scrape(exporter);
  // The listing, the details up to the hang, then the 1 s budget: far inside
  // the 10 s scrape timeout.
  EXPECT_LT(took, absl::Seconds(5)) << took;
  EXPECT_EQ(SampleValue(body, kCgroupSuccess), 0);
  EXPECT_EQ(SampleValue(body, kHostSuccess), 1) << exporter.stderr_text();
  EXPECT_THAT(body, HasSubstr("strata_cgroup_info{"));
  EXPECT_EQ(SampleValue(body, Series("strata_container_started_timestamp_seconds", kWeb)),
            1795464562);
  EXPECT_THAT(exporter.stderr_text(),
              AllOf(HasSubstr(absl::StrCat("GET /containers/", kWeb, "/changes on unix socket ")),
                    HasSubstr("imed out")));
  // Within the drift interval the hung request is not made again.
  const auto [again, took_again] = Scrape(exporter);
  EXPECT_LT(took_again, absl::Seconds(1)) << took_again;
  EXPECT_EQ(SampleValue(again, kCgroupSuccess), 0);
  EXPECT_EQ(SampleValue(again, kHostSuccess), 1);

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

TEST_F(EngineHostileTest, MalformedOrNonUtf8AnswersFailTheCollectorNamingTheRequest) {
  const std::pair<std::string, const char*> cases[] = {
      {"[{\"Path\":\"/etc/\xff\xfe\",\"Kind\":0}]", "not JSON"},
      {"{\"Path\":\"/etc\"}", "not an array"},
      {"<html>502 Bad Gateway</html>", "not JSON"},
  };
  for (const auto& [answer, message] : cases) {
    SCOPED_TRACE(message);
    engine_->Route(absl::StrCat("/containers/", kWeb, "/changes"), answer);
    ExporterProcess exporter;
    ASSERT_TRUE(StartExporter(exporter, "2s")) << exporter.stderr_text();
    const auto [body, took] = Scrape(exporter);
    EXPECT_EQ(SampleValue(body, kCgroupSuccess), 0);
    EXPECT_EQ(SampleValue(body, kHostSuccess), 1) << exporter.stderr_text();
    EXPECT_THAT(exporter.stderr_text(),
                AllOf(HasSubstr(absl::StrCat("GET /containers/", kWeb, "/changes on unix socket ")),
                      HasSubstr(message)));
    // The other container's drift is still served, and the broken one has none.
    EXPECT_EQ(SampleValue(body, Series("strata_container_drift_watched_paths", kBatch)), 2);
    EXPECT_EQ(SampleValue(body, Series("strata_container_drift_watched_paths", kWeb)),
              std::nullopt);
    exporter.Signal(SIGTERM);
    EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
  }
}

TEST_F(EngineHostileTest, AMillionChangesAreCountedWithinTheDeadlineAndOnlyOncePerInterval) {
  std::string changes = "[";
  for (int i = 0; i < 1000000; ++i) {
    absl::StrAppend(&changes, i > 0 ? "," : "", R"({"Path":"/etc/many/f)", i, R"(","Kind":1})");
  }
  changes += "]";
  engine_->Route(absl::StrCat("/containers/", kWeb, "/changes"), std::move(changes));
  ExporterProcess exporter;
  // Room for the sanitized build of CI: a plain one took 2 to 4 s on a busy
  // 2-core machine, most of it the fake engine sending 38 MB and the parse.
  ASSERT_TRUE(StartExporter(exporter, "20s", "25s")) << exporter.stderr_text();
  const auto [body, took] = Scrape(exporter);
  EXPECT_LT(took, absl::Seconds(25)) << took;
  std::cerr << "scrape with a million changes: " << took << "\n";
  EXPECT_EQ(SampleValue(body, kCgroupSuccess), 1) << exporter.stderr_text();
  EXPECT_EQ(SampleValue(body, Series("strata_container_drift_paths", kWeb, ",kind=\"added\"")),
            1000000);
  EXPECT_EQ(SampleValue(body, Series("strata_container_drift_watched_paths", kWeb)), 1000000);
  EXPECT_EQ(SampleValue(body, Series("strata_container_drift_skipped_paths", kWeb)), 999980);
  int listed = 0;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    listed += absl::StartsWith(line, "strata_container_drift_path_info{id=\"dae8e2222869\"");
  }
  EXPECT_EQ(listed, 20);
  // Kept: the next scrape does not ask again.
  const size_t requests = engine_->requests().size();
  const auto [again, took_again] = Scrape(exporter);
  EXPECT_LT(took_again, absl::Seconds(1)) << took_again;
  EXPECT_EQ(engine_->requests().size(), requests);
  EXPECT_EQ(SampleValue(again, Series("strata_container_drift_watched_paths", kWeb)), 1000000);

  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0) << exporter.stderr_text();
}

}  // namespace
}  // namespace strata::testing
