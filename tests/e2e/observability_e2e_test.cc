// End-to-end test of the monitoring mixin (alerts/strata.rules.yml and
// dashboards/*.json) through Debian's real Prometheus: the built exporter
// reads a fixture stack (a Puppet noop run that found drift, a CFEngine run
// that did not keep every promise, an overcommitted libvirt test-driver
// hypervisor, a hybrid-cgroup host with limited cgroups, one of them kept
// throttled while the test runs, container names from a fake engine socket,
// file and package baselines that drifted, an image stamp); beside it a
// second exporter acts as a KVM guest (the host fixture whose DMI UUID is the
// libvirt test driver's default domain "test", with a cgroup v2 capture) and a
// third as its bare-metal hypervisor (libvirt on test:///default), so the
// strata:vm_* rules join them across instances. Prometheus scrapes the three
// every second and evaluates the rules every second, and the test asks
// Prometheus' HTTP API what the recording rules give and which alerts are
// active; the dashboards are rendered from Prometheus with Grafana's own
// front-end code (tests/grafana), as on first load.
//
// The rule file is optional here: its tests are skipped when it does not
// exist. `for` durations are proven by the promtool unit
// tests in alerts/tests/, not here: an alert counts as active when pending.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/fake_engine.h"
#include "tests/support/grafana_checks.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = STRATA_SOURCE_DIR;
const fs::path kFixtures = kSource / "tests/fixtures";

// The hypervisor of tests/fixtures/observability/overcommitted-hypervisor.xml:
// 16 CPUs and 32 GiB; running domains 32+32+16+16 vCPUs and 16+16+8+8 GiB,
// plus a shut-off one with 8 vCPUs and 8 GiB.
constexpr double kHostCpus = 16;
constexpr double kHostMemoryGiB = 32;
constexpr double kRunningVcpus = 96;
constexpr double kDefinedVcpus = 104;
constexpr double kRunningMemoryGiB = 48;
constexpr double kDefinedMemoryGiB = 56;

// The guest's DMI system UUID (tests/fixtures/host/kvm-guest-libvirt-test-
// domain-synthesized), which is that of test:///default's domain "test".
constexpr char kGuestUuid[] = "6695eb01-f6a4-8304-79aa-97f2502e193f";

// The fake engine's answers: the two containers of engine-containers.json,
// when they started, when their images were built (nginx's long ago, so
// ContainerImageTooOld fires), and their drift from the image (web-frontend's
// nginx.conf changed by hand; batch-worker unchanged).
void RouteEngine(FakeEngine& engine) {
  const fs::path dir = kFixtures / "observability";
  engine.Route("/containers/json", ReadWholeFile(dir / "engine-containers.json"));
  const std::string web = "dae8e2222869e96e9b6a6b583c9dd7ad32ff53440051fb6bbe1bc14adea36a1b";
  const std::string batch = "bf941dfe1593b8a1d67686dbfae0c9500559db384f6e20df91505184de2b2c38";
  for (const std::string& id : {web, batch}) {
    engine.Route("/containers/" + id + "/json",
                 R"({"Id":")" + id + R"(","State":{"StartedAt":"2026-11-23T20:09:22.5Z"}})");
  }
  engine.Route("/containers/" + web + "/changes",
               ReadWholeFile(dir / "engine-web-frontend-changes.json"));
  engine.Route("/containers/" + batch + "/changes", "null");
  engine.Route(
      "/images/sha256:3f8a4339aadda5897b744682f5f774dc69991a81af8d715d37a616bb4c99edf5/json",
      R"({"Created":"2023-11-01T10:00:00Z"})");
  engine.Route(
      "/images/sha256:a1937db3d1b8e9bca90e935889199ae315f7aa7ab30ab609792d53340e09c89a/json",
      R"({"Created":"2026-11-20T08:00:00.123456789Z"})");
}

// Recording rules that legitimately give nothing for this fixture stack.
const std::map<std::string, std::string> kEmptyRecordingRules = {
    {"strata:domain_cpu_delay:ratio",
     "libvirt's test driver reports no vCPU delay (strata_domain_cpu_delay_seconds_total is "
     "absent)"},
    {"strata:vm_cpu_delay_host:cores",
     "libvirt's test driver reports no vCPU delay (strata_domain_cpu_delay_seconds_total is "
     "absent)"},
};

// Dashboard panels ("<dashboard uid>/<panel title>") whose queries
// legitimately return nothing for this fixture stack, with the reason.
const std::map<std::string, std::string> kEmptyPanels = {
    {"strata-hypervisor/vCPU delay",
     "libvirt's test driver reports no vCPU delay (strata_domain_cpu_delay_seconds_total is "
     "absent), as on hosts without schedstats"},
};

// Keeps one cgroup of the copied capture throttled: every 100 ms (one CFS
// period) its v1 cpu.stat gains a period, and every other period is
// throttled for 20 ms, so rates over the counters are not 0 as they are for a
// static capture. The file is replaced by rename, so a reader never sees half.
class ThrottledCgroup {
 public:
  explicit ThrottledCgroup(fs::path cpu_stat) : cpu_stat_(std::move(cpu_stat)) {
    ok_ = fs::exists(cpu_stat_);
    if (ok_) thread_ = std::thread([this] { Run(); });
  }
  ~ThrottledCgroup() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool ok() const { return ok_; }

 private:
  void Run() {
    std::map<std::string, uint64_t> values;
    std::vector<std::string> order;
    std::istringstream in(ReadWholeFile(cpu_stat_));
    std::string key;
    uint64_t value = 0;
    while (in >> key >> value) {
      order.push_back(key);
      values[key] = value;
    }
    for (uint64_t period = 1; !stop_; ++period) {
      absl::SleepFor(absl::Milliseconds(100));
      values["nr_periods"] += 1;
      if (period % 2 == 0) {
        values["nr_throttled"] += 1;
        values["throttled_time"] += 20'000'000;  // nanoseconds
      }
      const fs::path next = cpu_stat_.string() + ".next";
      {
        std::ofstream out(next);
        for (const std::string& name : order) out << name << " " << values[name] << "\n";
      }
      fs::rename(next, cpu_stat_);
    }
  }

  fs::path cpu_stat_;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Copies every file below each of `sources` into `target` (later sources do
// not overwrite earlier ones; the fixtures used here do not overlap).
void Merge(const std::vector<fs::path>& sources, const fs::path& target) {
  fs::create_directories(target);
  for (const fs::path& source : sources) {
    fs::copy(source, target, fs::copy_options::recursive | fs::copy_options::skip_existing);
  }
}

// The stack, shared by every test of the suite: started once (Prometheus
// needs a few seconds of scrapes and evaluations), stopped at the end.
class ObservabilityE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PrometheusAvailable()) return;
    char templ[] = "/tmp/strata-observability-XXXXXX";
    root_ = new fs::path(mkdtemp(templ));
    // One exporter reads every fixture: procfs and sysfs are the hybrid
    // cgroup capture merged with the host capture taken on the same
    // Firecracker guest (the two touch different files); rootfs is the
    // Puppet noop-drift run plus an os-release and an image stamp.
    const fs::path cgroup = kFixtures / "cgroup/hybrid-firecracker-6.18";
    const fs::path host = kFixtures / "host/kvm-guest-firecracker-6.18";
    Merge({cgroup / "proc", host / "proc"}, *root_ / "proc");
    Merge({cgroup / "sys", host / "sys"}, *root_ / "sys");
    Merge({kFixtures / "puppet/puppet-7.23-debian12-noop-drift/rootfs",
           kFixtures / "image/debian12-bookworm-firecracker/rootfs",
           kFixtures / "observability/rootfs-overlay"},
          *root_ / "rootfs");
    // CFEngine's last run did not keep every promise.
    Merge({kFixtures / "cfengine/cfengine-3.21-debian12-not-kept/rootfs"}, *root_ / "rootfs");
    const fs::path node_xml = kFixtures / "observability/overcommitted-hypervisor.xml";
    // Container names for the docker and podman containers of the cgroup capture.
    // Below --path.rootfs, where the exporter looks for the host's socket.
    fs::create_directories(*root_ / "rootfs/run");
    const fs::path engine_socket = *root_ / "rootfs/run/engine.sock";
    engine_ = new FakeEngine(engine_socket.string());
    RouteEngine(*engine_);
    if (!engine_->ok()) {
      *setup_error_ = "cannot listen on " + engine_socket.string();
      return;
    }
    // The docker container of the capture, throttled while the stack runs.
    throttled_ = new ThrottledCgroup(
        *root_ / "sys/fs/cgroup/cpu/system.slice" /
        "docker-dae8e2222869e96e9b6a6b583c9dd7ad32ff53440051fb6bbe1bc14adea36a1b.scope/cpu.stat");
    if (!throttled_->ok()) {
      *setup_error_ = "the capture has no cpu.stat for its docker container";
      return;
    }

    exporter_ = new ExporterProcess();
    if (!exporter_->Start({"--web.listen-address=127.0.0.1:0", "--collector.disable-defaults",
                           "--collector.host", "--collector.cgroup", "--collector.puppet",
                           "--collector.image", "--collector.libvirt", "--collector.cfengine",
                           "--collector.drift",
                           "--collector.drift.files=etc=/var/lib/strata/files.sha256",
                           "--collector.drift.packages=golden=/var/lib/strata/packages.golden",
                           "--collector.cgroup.docker-socket=/run/engine.sock",
                           "--collector.libvirt.uri=test://" + node_xml.string(),
                           "--collector.image.stamp-file=/etc/strata/image-stamp",
                           "--path.procfs=" + (*root_ / "proc").string(),
                           "--path.sysfs=" + (*root_ / "sys").string(),
                           "--path.rootfs=" + (*root_ / "rootfs").string()})) {
      *setup_error_ = "exporter did not start: " + exporter_->stderr_text();
      return;
    }
    target_ = new std::string(absl::StrCat("127.0.0.1:", exporter_->port()));

    // The guest: a KVM guest of test:///default's domain "test" (its DMI
    // UUID), with cgroup v2 containers under limits. It and its hypervisor
    // listen on 127.0.0.2, so the stack's exporter (127.0.0.1) stays the
    // first instance, the one the Host detail board shows on load.
    const fs::path guest_host = kFixtures / "host/kvm-guest-libvirt-test-domain-synthesized";
    const fs::path guest_cgroup = kFixtures / "cgroup/v2-kernel-docs-synthesized";
    Merge({guest_host / "proc", guest_cgroup / "proc"}, *root_ / "guest/proc");
    Merge({guest_host / "sys", guest_cgroup / "sys"}, *root_ / "guest/sys");
    Merge({guest_host / "rootfs"}, *root_ / "guest/rootfs");
    guest_ = new ExporterProcess();
    if (!guest_->Start({"--web.listen-address=127.0.0.2:0", "--collector.disable-defaults",
                        "--collector.host", "--collector.cgroup",
                        "--path.procfs=" + (*root_ / "guest/proc").string(),
                        "--path.sysfs=" + (*root_ / "guest/sys").string(),
                        "--path.rootfs=" + (*root_ / "guest/rootfs").string()})) {
      *setup_error_ = "guest exporter did not start: " + guest_->stderr_text();
      return;
    }
    guest_target_ = new std::string(absl::StrCat("127.0.0.2:", guest_->port()));
    // Its hypervisor: a bare-metal host running libvirt's test driver.
    const fs::path bare_metal = kFixtures / "host/bare-metal-synthesized";
    hypervisor_ = new ExporterProcess();
    if (!hypervisor_->Start({"--web.listen-address=127.0.0.2:0", "--collector.disable-defaults",
                             "--collector.host", "--collector.libvirt",
                             "--collector.libvirt.uri=test:///default",
                             "--path.procfs=" + (bare_metal / "proc").string(),
                             "--path.sysfs=" + (bare_metal / "sys").string(),
                             "--path.rootfs=" + (bare_metal / "rootfs").string()})) {
      *setup_error_ = "hypervisor exporter did not start: " + hypervisor_->stderr_text();
      return;
    }
    hypervisor_target_ = new std::string(absl::StrCat("127.0.0.2:", hypervisor_->port()));

    std::vector<std::string> rule_files;
    if (fs::exists(RulesFile())) rule_files.push_back(RulesFile().string());
    prometheus_ = new PrometheusServer();
    if (!prometheus_->Start({*target_, *guest_target_, *hypervisor_target_}, rule_files)) {
      *setup_error_ = "prometheus did not start: " + prometheus_->log();
      return;
    }
    // Three scrapes (rate() needs two samples) and, with rules, two evaluations.
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      PromQueryResult scrapes = prometheus_->Query(absl::StrCat(
          "count_over_time(up{job=\"strata\",instance=\"", *target_, "\"}[1m]) >= 3 and up == 1"));
      bool ready = scrapes.ok && !scrapes.samples.empty();
      if (ready) {
        PromQueryResult all = prometheus_->Query(
            "count(count_over_time(up{job=\"strata\"}[1m]) >= 3 and up == 1) == 3");
        ready = all.ok && !all.samples.empty();
      }
      if (ready && !rule_files.empty()) {
        PromQueryResult evaluated =
            prometheus_->Query("count_over_time(strata:hypervisor_vcpu_overcommit:ratio[1m]) >= 2");
        ready = evaluated.ok && !evaluated.samples.empty();
      }
      if (ready) return;
      absl::SleepFor(absl::Milliseconds(250));
    }
    *setup_error_ = "no scrapes/evaluations within 30 s: " + prometheus_->log();
  }

  static void TearDownTestSuite() {
    delete prometheus_;  // stops it
    prometheus_ = nullptr;
    delete exporter_;  // kills it
    exporter_ = nullptr;
    delete guest_;
    guest_ = nullptr;
    delete hypervisor_;
    hypervisor_ = nullptr;
    delete guest_target_;
    guest_target_ = nullptr;
    delete hypervisor_target_;
    hypervisor_target_ = nullptr;
    delete engine_;
    engine_ = nullptr;
    delete throttled_;
    throttled_ = nullptr;
    delete target_;
    target_ = nullptr;
    if (root_ != nullptr) {
      std::error_code ignored;
      fs::remove_all(*root_, ignored);
      delete root_;
      root_ = nullptr;
    }
  }

  void SetUp() override {
    if (!PrometheusAvailable()) GTEST_SKIP() << "Debian's prometheus is not installed";
    ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
  }

  static fs::path RulesFile() { return kSource / "alerts/strata.rules.yml"; }

  // `metric` of one exporter: {instance="<target>"} added.
  static std::string Of(const std::string& metric, const std::string& target) {
    return absl::StrCat(metric, "{instance=\"", target, "\"}");
  }
  static std::string Main(const std::string& metric) { return Of(metric, *target_); }

  // The values of `promql`, keyed by the value of `label`.
  static std::map<std::string, double> ValuesBy(const std::string& promql,
                                                const std::string& label) {
    PromQueryResult result = prometheus_->Query(promql);
    EXPECT_TRUE(result.ok) << promql << ": " << result.error;
    std::map<std::string, double> values;
    for (const PromSample& sample : result.samples) {
      auto it = sample.labels.find(label);
      values[it == sample.labels.end() ? "" : it->second] = sample.value;
    }
    return values;
  }

  static fs::path* root_;
  static FakeEngine* engine_;
  static ThrottledCgroup* throttled_;
  static ExporterProcess* exporter_;
  static ExporterProcess* guest_;
  static ExporterProcess* hypervisor_;
  static PrometheusServer* prometheus_;
  static std::string* target_;
  static std::string* guest_target_;
  static std::string* hypervisor_target_;
  static std::string* setup_error_;
};

fs::path* ObservabilityE2eTest::root_ = nullptr;
FakeEngine* ObservabilityE2eTest::engine_ = nullptr;
ThrottledCgroup* ObservabilityE2eTest::throttled_ = nullptr;
ExporterProcess* ObservabilityE2eTest::exporter_ = nullptr;
ExporterProcess* ObservabilityE2eTest::guest_ = nullptr;
ExporterProcess* ObservabilityE2eTest::hypervisor_ = nullptr;
PrometheusServer* ObservabilityE2eTest::prometheus_ = nullptr;
std::string* ObservabilityE2eTest::target_ = nullptr;
std::string* ObservabilityE2eTest::guest_target_ = nullptr;
std::string* ObservabilityE2eTest::hypervisor_target_ = nullptr;
std::string* ObservabilityE2eTest::setup_error_ = new std::string();

TEST_F(ObservabilityE2eTest, PrometheusScrapesEveryCollectorOfTheStack) {
  EXPECT_EQ(ValuesBy(absl::StrCat("up{job=\"strata\",instance=\"", *target_, "\"}"), "job"),
            (std::map<std::string, double>{{"strata", 1}}));
  EXPECT_EQ(ValuesBy(Main("strata_scrape_collector_success"), "collector"),
            (std::map<std::string, double>{{"cfengine", 1},
                                           {"cgroup", 1},
                                           {"drift", 1},
                                           {"host", 1},
                                           {"image", 1},
                                           {"libvirt", 1},
                                           {"puppet", 1}}));
  EXPECT_EQ(ValuesBy(Of("strata_scrape_collector_success", *guest_target_), "collector"),
            (std::map<std::string, double>{{"cgroup", 1}, {"host", 1}}));
  EXPECT_EQ(ValuesBy(Of("strata_scrape_collector_success", *hypervisor_target_), "collector"),
            (std::map<std::string, double>{{"host", 1}, {"libvirt", 1}}));
  // The fixtures say what they should: drift, overcommit, hybrid cgroups, an image.
  EXPECT_EQ(ValuesBy(Main("strata_puppet_noop_pending"), "job"),
            (std::map<std::string, double>{{"strata", 1}}));
  EXPECT_EQ(ValuesBy(Main("strata_hypervisor_cpus"), "job"),
            (std::map<std::string, double>{{"strata", kHostCpus}}));
  EXPECT_EQ(ValuesBy(Main("strata_cgroup_mode_info"), "mode"),
            (std::map<std::string, double>{{"hybrid", 1}}));
  EXPECT_EQ(ValuesBy("strata_image_info", "image_version"),
            (std::map<std::string, double>{{"2026.11.0", 1}}));
  EXPECT_EQ(ValuesBy("strata_drift_files", "state"),
            (std::map<std::string, double>{
                {"matching", 1}, {"missing", 1}, {"modified", 1}, {"unreadable", 0}}));
  EXPECT_EQ(ValuesBy("strata_drift_packages", "state"),
            (std::map<std::string, double>{
                {"matching", 2}, {"missing", 1}, {"unexpected", 1}, {"version_differs", 1}}));
  // Throttled cgroups (static counters: the dashboard's rate ratio is 0/0 here).
  EXPECT_EQ(
      ValuesBy(absl::StrCat("count(", Main("strata_cgroup_cpu_throttled_periods_total"), " > 0)"),
               ""),
      (std::map<std::string, double>{{"", 3}}));
  EXPECT_EQ(ValuesBy(Main("strata_container_info"), "name"),
            (std::map<std::string, double>{{"batch-worker", 1}, {"web-frontend", 1}}));
  // web-frontend's drift from its image: /etc and two files below it; the
  // cache directories nginx writes are expected to change.
  EXPECT_EQ(ValuesBy(Main("strata_container_drift_path_info"), "path"),
            (std::map<std::string, double>{{"/etc", 1},
                                           {"/etc/nginx", 1},
                                           {"/etc/nginx/conf.d/debug.conf", 1},
                                           {"/etc/nginx/nginx.conf", 1}}));
  EXPECT_EQ(ValuesBy(Main("strata_container_drift_expected_paths"), "id"),
            (std::map<std::string, double>{{"bf941dfe1593", 0}, {"dae8e2222869", 3}}));
}

TEST_F(ObservabilityE2eTest, RecordingRulesGiveTheFixtureHypervisorsOvercommit) {
  if (!fs::exists(RulesFile())) GTEST_SKIP() << RulesFile() << " does not exist yet";
  EXPECT_THAT(ValuesBy(Main("strata:hypervisor_vcpu_overcommit:ratio"), "scope"),
              ::testing::ElementsAre(
                  ::testing::Pair("defined", ::testing::DoubleEq(kDefinedVcpus / kHostCpus)),
                  ::testing::Pair("running", ::testing::DoubleEq(kRunningVcpus / kHostCpus))));
  EXPECT_THAT(
      ValuesBy(Main("strata:hypervisor_memory_overcommit:ratio"), "scope"),
      ::testing::ElementsAre(
          ::testing::Pair("defined", ::testing::DoubleEq(kDefinedMemoryGiB / kHostMemoryGiB)),
          ::testing::Pair("running", ::testing::DoubleEq(kRunningMemoryGiB / kHostMemoryGiB))));
}

// The guest exporter joins its hypervisor's domain "test" through its DMI
// UUID, across instances: one strata:vm_guest:info series (no domain of the
// overcommitted XML has a guest here), and every strata:vm_* rule gives the
// values of the two sides it joins.
TEST_F(ObservabilityE2eTest, GuestJoinsItsDomainAcrossInstances) {
  if (!fs::exists(RulesFile())) GTEST_SKIP() << RulesFile() << " does not exist yet";
  // Both sides say what the join relies on.
  EXPECT_EQ(ValuesBy(Of("strata_host_identity_info", *guest_target_), "uuid"),
            (std::map<std::string, double>{{kGuestUuid, 1}}));
  EXPECT_EQ(ValuesBy(Of("strata_domain_info", *hypervisor_target_), "uuid"),
            (std::map<std::string, double>{{kGuestUuid, 1}}));
  EXPECT_EQ(ValuesBy(Of("strata_host_virtualization_info", *guest_target_), "role"),
            (std::map<std::string, double>{{"vm", 1}}));
  EXPECT_EQ(ValuesBy(Of("strata_host_virtualization_info", *hypervisor_target_), "role"),
            (std::map<std::string, double>{{"bare-metal", 1}}));

  PromQueryResult info = prometheus_->Query("strata:vm_guest:info");
  ASSERT_TRUE(info.ok) << info.error;
  ASSERT_EQ(info.samples.size(), 1u) << info.body;
  const std::map<std::string, std::string>& labels = info.samples[0].labels;
  EXPECT_EQ(labels.at("domain"), "test");
  EXPECT_EQ(labels.at("uuid"), kGuestUuid);
  EXPECT_EQ(labels.at("instance"), *hypervisor_target_);
  EXPECT_EQ(labels.at("guest_instance"), *guest_target_);
  EXPECT_EQ(labels.at("job"), "strata");
  EXPECT_EQ(info.samples[0].value, 1);

  // One value of `promql` (a single series expected).
  auto one = [](const std::string& promql) {
    PromQueryResult result = prometheus_->Query(promql);
    EXPECT_TRUE(result.ok) << promql << ": " << result.error;
    EXPECT_EQ(result.samples.size(), 1u) << promql << ": " << result.body;
    return result.samples.empty() ? -1.0 : result.samples[0].value;
  };
  const std::string domain =
      absl::StrCat("{instance=\"", *hypervisor_target_, "\",domain=\"test\"}");
  // Allocated: the domain's vCPUs and maximum memory, which the guest sees as
  // its CPUs (2 in the fixture, as test:///default's domain has).
  const double vcpus = one("strata:vm_cpu_allocated:cores");
  EXPECT_EQ(vcpus, 2);
  EXPECT_EQ(vcpus, one("strata_domain_vcpus" + domain));
  EXPECT_EQ(vcpus, one(Of("strata_host_cpus", *guest_target_)));
  EXPECT_EQ(one("strata:vm_memory_allocated:bytes"),
            one("strata_domain_memory_maximum_bytes" + domain));
  // Used as the host sees it: the domain's CPU time rate on the hypervisor.
  EXPECT_GE(one("strata:vm_cpu_used_host:cores"), 0);
  // Used as the guest sees it: its own kernel's counters (a static capture, so
  // no CPU; memory is MemTotal - MemAvailable = 1840284 - 1280504 kB).
  EXPECT_EQ(one("strata:vm_cpu_used_guest:cores"), 0);
  EXPECT_EQ(one("strata:vm_memory_used_guest:bytes"), (1840284.0 - 1280504.0) * 1024);
  EXPECT_EQ(one("strata:vm_memory_used_guest:bytes"),
            one(Of("strata:host_memory_used:bytes", *guest_target_)));
  EXPECT_EQ(one("strata:vm_cpu_steal_guest:cores"), 0);
  // The containers' commitment inside the guest, against the vCPUs behind it.
  const double committed = one(
      absl::StrCat("sum(strata_cgroup_committed_cpu_cores{instance=\"", *guest_target_, "\"})"));
  EXPECT_GT(committed, 0);
  EXPECT_EQ(one("strata:vm_container_cpu_committed:cores"), committed);
  EXPECT_DOUBLE_EQ(one("strata:vm_container_cpu_commitment:ratio"), committed / vcpus);
  // Right-sizing of the joined VM: memory maximum minus what the guest used.
  EXPECT_EQ(one("strata:vm_memory_idle:bytes"),
            one("strata_domain_memory_maximum_bytes" + domain) - (1840284.0 - 1280504.0) * 1024);
  // Physical idle: only the bare-metal hypervisor counts.
  EXPECT_EQ(one("strata:cluster_physical_cpu_idle:cores"),
            one(Of("strata:host_cpu_idle:cores", *hypervisor_target_)));
}

// Every recording rule gives at least one series, except the documented ones.
TEST_F(ObservabilityE2eTest, EveryRecordingRuleGivesData) {
  if (!fs::exists(RulesFile())) GTEST_SKIP() << RulesFile() << " does not exist yet";
  const std::regex record(R"re(^\s*-?\s*record:\s*"?([A-Za-z_:][A-Za-z0-9_:]*)"?\s*$)re");
  std::ifstream in(RulesFile());
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_match(line, match, record)) names.insert(match[1]);
  }
  ASSERT_FALSE(names.empty()) << "no recording rules in " << RulesFile();
  std::vector<std::string> empty;
  for (const std::string& name : names) {
    PromQueryResult result = prometheus_->Query(name);
    ASSERT_TRUE(result.ok) << name << ": " << result.error;
    const bool allowed = kEmptyRecordingRules.count(name) > 0;
    if (result.samples.empty() && !allowed) empty.push_back(name);
    if (!result.samples.empty() && allowed) {
      ADD_FAILURE() << name << " now gives data: take it off kEmptyRecordingRules";
    }
  }
  EXPECT_THAT(empty, ::testing::IsEmpty()) << "recording rules without data";
}

// CgroupCPUThrottlingHigh's ratio over the cgroup that ThrottledCgroup keeps
// throttled in every other period (its `for` and period floor are proven by
// the promtool unit tests).
TEST_F(ObservabilityE2eTest, ThrottledCgroupGivesTheAlertsRatio) {
  const std::string docker = "cgroup=~\".*docker-dae8e2222869.*\"";
  const std::map<std::string, double> ratio = ValuesBy(
      absl::StrCat("increase(strata_cgroup_cpu_throttled_periods_total{", docker, "}[30m]) / ",
                   "increase(strata_cgroup_cpu_periods_total{", docker, "}[30m])"),
      "job");
  ASSERT_EQ(ratio.count("strata"), 1u);
  EXPECT_NEAR(ratio.at("strata"), 0.5, 0.2);
  const std::map<std::string, double> throttled_seconds_per_period = ValuesBy(
      absl::StrCat("increase(strata_cgroup_cpu_throttled_seconds_total{", docker, "}[30m]) / ",
                   "increase(strata_cgroup_cpu_throttled_periods_total{", docker, "}[30m])"),
      "job");
  ASSERT_EQ(throttled_seconds_per_period.count("strata"), 1u);
  EXPECT_NEAR(throttled_seconds_per_period.at("strata"), 0.020, 0.005);
}

TEST_F(ObservabilityE2eTest, DriftAndOvercommitAlertsAreActive) {
  if (!fs::exists(RulesFile())) GTEST_SKIP() << RulesFile() << " does not exist yet";
  const std::set<std::string> expected = {
      "ConfigDriftDetected", "HypervisorVCPUOvercommitHigh", "HypervisorMemoryOvercommitHigh",
      "FileBaselineDrift",   "PackageBaselineDrift",         "ContainerDriftedFromImage",
      "ContainerImageTooOld"};
  // Alerts that would mean the stack itself is broken.
  const std::set<std::string> forbidden = {"ExporterDown", "ExporterCollectorFailing"};
  std::set<std::string> active;
  PromAlertsResult alerts;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    alerts = prometheus_->Alerts();
    ASSERT_TRUE(alerts.ok) << alerts.error;
    active.clear();
    for (const PromAlert& alert : alerts.alerts) {
      if (alert.state == "pending" || alert.state == "firing") {
        active.insert(alert.labels.at("alertname"));
      }
    }
    if (std::includes(active.begin(), active.end(), expected.begin(), expected.end())) break;
    absl::SleepFor(absl::Milliseconds(250));
  } while (absl::Now() < deadline);
  for (const std::string& name : expected) {
    EXPECT_TRUE(active.count(name)) << name << " is not active; alerts: " << alerts.body;
  }
  for (const std::string& name : forbidden) {
    EXPECT_FALSE(active.count(name)) << name << " is active; alerts: " << alerts.body;
  }
  for (const PromAlert& alert : alerts.alerts) {
    const std::string& name = alert.labels.at("alertname");
    if (name == "ConfigDriftDetected") {
      EXPECT_EQ(alert.labels.count("tool") ? alert.labels.at("tool") : "", "puppet");
    }
    if (name == "HypervisorVCPUOvercommitHigh") {
      EXPECT_DOUBLE_EQ(alert.value, kRunningVcpus / kHostCpus);
    }
    // test:///default gives its running domain more memory than its node has.
    if (name == "HypervisorMemoryOvercommitHigh" &&
        alert.labels.at("instance") == *hypervisor_target_) {
      continue;
    }
    if (expected.count(name)) {
      EXPECT_EQ(alert.labels.at("instance"), *target_) << name;
      EXPECT_THAT(alert.annotations, ::testing::Contains(::testing::Key("runbook_url"))) << name;
    }
  }
}

// ---------------------------------------------------------------- dashboards

// The dashboards as Grafana renders them on first load, with Grafana's own
// front-end code (tests/grafana/render_dashboard_panels.mjs): variables
// resolved from their label_values() queries with "All" selected, Grafana's
// $__interval and $__rate_interval, the Prometheus data source's result
// transformer (tables) and every panel's transformations. It fails on a
// panel without data, a transformation or field override naming a field the
// panel does not have, or a query error.
TEST_F(ObservabilityE2eTest, DashboardsRenderThroughGrafanasFrontEndCode) {
  ASSERT_EQ(GrafanaChecksMissing(), "");
  std::vector<std::string> argv = {"--prometheus", prometheus_->base_url(),
                                   // The scrape interval of tests/support/prometheus_server.
                                   "--scrape-interval", "1s", "--wait-for-first-step"};
  for (const auto& [key, reason] : kEmptyPanels) {
    argv.push_back("--allow-empty");
    argv.push_back(key);
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSource / "dashboards")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) argv.push_back(file.string());

  CommandResult result = RunGrafanaCheck("render_dashboard_panels.mjs", argv);
  std::cout << result.output;
  EXPECT_EQ(result.exit_code, 0) << "see the panel report above";
}

// The renderer is not vacuous: a panel without data, a transformation or an
// override naming a field the panel does not have, a table whose rows keep
// the metric name and a legend naming a missing label are each reported.
TEST_F(ObservabilityE2eTest, DashboardRendererReportsBrokenPanels) {
  ASSERT_EQ(GrafanaChecksMissing(), "");
  const std::string datasource = R"("datasource": {"type": "prometheus", "uid": "${datasource}"})";
  auto table = [&](const std::string& title, const std::string& expr, const std::string& extra) {
    return absl::StrCat(R"({"type": "table", "title": ")", title, R"(", )", datasource,
                        R"(, "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}, "targets": [{)",
                        datasource, R"(, "refId": "A", "instant": true, "range": false, )",
                        R"("format": "table", "expr": ")", expr, R"("}])", extra, "}");
  };
  const std::string dashboard = absl::StrCat(
      R"({"uid": "broken", "title": "broken", "time": {"from": "now-5m", "to": "now"}, )",
      R"("templating": {"list": []}, "panels": [)", table("Nothing", "strata_no_such_metric", ""),
      ", ",
      table("Renames a missing column", "strata_hypervisor_cpus",
            R"(, "transformations": [{"id": "organize", "options": )"
            R"({"renameByName": {"Value #B": "cpus"}}}])"),
      ", ",
      table("Overrides a missing column", "strata_hypervisor_cpus",
            R"(, "fieldConfig": {"defaults": {}, "overrides": [{"matcher": )"
            R"({"id": "byName", "options": "cpus"}, "properties": []}]})"),
      ", ", table("Shows the metric name", "strata_hypervisor_cpus", ""), ", ",
      absl::StrCat(R"({"type": "stat", "title": "Legend without its label", )", datasource,
                   R"(, "gridPos": {"h": 4, "w": 6, "x": 0, "y": 8}, "targets": [{)", datasource,
                   R"(, "refId": "A", "instant": true, "range": false, )",
                   R"("expr": "strata_hypervisor_cpus", "legendFormat": "{{domain}}"}]})"),
      "]}");
  char dir_template[] = "/tmp/strata-broken-dashboard-XXXXXX";
  const fs::path dir = mkdtemp(dir_template);
  std::ofstream(dir / "broken.json") << dashboard;
  CommandResult result = RunGrafanaCheck(
      "render_dashboard_panels.mjs", {"--prometheus", prometheus_->base_url(), "--scrape-interval",
                                      "1s", (dir / "broken.json").string()});
  fs::remove_all(dir);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, ::testing::HasSubstr("broken/Nothing: shows no data"));
  EXPECT_THAT(result.output,
              ::testing::HasSubstr("broken/Renames a missing column: transformation organize "
                                   "names field \"Value #B\""));
  EXPECT_THAT(result.output,
              ::testing::HasSubstr("broken/Overrides a missing column: field override for "
                                   "\"cpus\" matches no field"));
  EXPECT_THAT(result.output,
              ::testing::HasSubstr("broken/Shows the metric name: table shows a __name__ column"));
  // Two hypervisors: the stack's and the guest's (test:///default).
  EXPECT_THAT(result.output,
              ::testing::HasSubstr("broken/Legend without its label: target A: legend names "
                                   "{{domain}}, which 2 series lack"));
  EXPECT_THAT(result.output, ::testing::HasSubstr("5 panels rendered, 7 problem(s)"));
}

}  // namespace
}  // namespace strata::testing
