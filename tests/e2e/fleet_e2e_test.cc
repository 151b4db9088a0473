// A simulated fleet, end to end through the Prometheus ecosystem: 32 built
// exporters on loopback, each over its own root built from the fixtures
// (every host kind of tests/fixtures/host, four image versions, Puppet runs
// converged, failing, drifted and stale, file baselines matching or drifted,
// eight libvirt test-driver hypervisors at different overcommit), scraped by
// two site Prometheus servers (Debian's prometheus) that carry the project's
// rules and an external label `site` and remote-write into one global store
// (Debian's victoria-metrics, single node). The fleet questions are asked of
// the global store through its Prometheus-compatible API, one query each, and
// the Fleet dashboard's own queries must give the same answers there; a
// third Prometheus federating only the sites' rule outputs
// (deploy/fleet/prometheus-federate.yml) must answer the overview too. The
// site servers send their alerts to a real Alertmanager (Debian's
// prometheus-alertmanager) configured by deploy/alertmanager.yml, whose
// receivers are a webhook listener in this test.
//
// The rules are generated from the mixin with `site` as its cluster label and
// every `for` at 1s (mixin/config.libsonnet's overrides; the committed `for`
// durations are proven by the promtool unit tests in alerts/tests/), and the
// Alertmanager configuration is the committed one with only its timings
// shortened and its URLs pointed here. Everything starts once for the suite.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/support/alertmanager_server.h"
#include "tests/support/exporter_process.h"
#include "tests/support/http_client.h"
#include "tests/support/json_string_map.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/sanitizers.h"
#include "tests/support/test_files.h"
#include "tests/support/victoria_metrics_server.h"
#include "tests/support/webhook_receiver.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = STRATA_SOURCE_DIR;
const fs::path kFixtures = kSource / "tests/fixtures";

enum class Puppet {
  kConverged,  // the noop-drift run with its out-of-sync resource and noop taken off
  kFailing,    // puppet-7.23-debian12-failed-exec: status failed, 2 resources out of sync
  kDrifted,    // puppet-7.23-debian12-noop-drift: a noop run found 1 resource out of sync
  kStale,      // converged, but the last run ended 3 days ago
};

// One host of the fleet.
struct Host {
  const char* site;
  const char* kind;  // tests/fixtures/host/<kind>: procfs, sysfs and rootfs
  const char* image_version;
  Puppet puppet;
  bool file_drift;      // a file of its baseline was edited
  int hypervisor_cpus;  // > 0: libvirt's test driver with this many host CPUs
};

constexpr const char* kBareMetal = "bare-metal-synthesized";

// Every host kind of tests/fixtures/host; four image versions in site east
// (ImageSprawl's limit is 3), two in west; overcommit 6x, 12x, 3x, 2x in east
// and 6x, 4.8x, exactly 4x (not above the threshold) and 1.5x in west.
const Host kFleet[] = {
    {"east", kBareMetal, "2026.11.0", Puppet::kConverged, false, 16},
    {"east", kBareMetal, "2026.11.0", Puppet::kConverged, false, 8},
    {"east", kBareMetal, "2026.10.0", Puppet::kFailing, false, 32},
    {"east", kBareMetal, "2026.10.0", Puppet::kConverged, false, 48},
    {"east", "kvm-guest-firecracker-6.18", "2026.11.0", Puppet::kConverged, false, 0},
    {"east", "kvm-guest-qemu-dmi-synthesized", "2026.11.0", Puppet::kDrifted, false, 0},
    {"east", "kvm-guest-libvirt-test-domain-synthesized", "2026.11.0", Puppet::kConverged, true, 0},
    {"east", "xen-guest-synthesized", "2026.10.0", Puppet::kStale, false, 0},
    {"east", "docker-container-synthesized", "2026.09.0", Puppet::kConverged, false, 0},
    {"east", "lxc-container-synthesized", "2026.09.0", Puppet::kFailing, false, 0},
    {"east", "openvz-container-synthesized", "2026.08.0", Puppet::kConverged, false, 0},
    {"east", "docker-in-kvm-qemu-synthesized", "2026.11.0", Puppet::kDrifted, true, 0},
    {"east", "podman-container-in-kvm-firecracker-6.18", "2026.11.0", Puppet::kConverged, false, 0},
    {"east", "container-in-kvm-docker-marker-firecracker-6.18", "2026.10.0", Puppet::kStale, false,
     0},
    {"east", "wsl2-synthesized", "2026.11.0", Puppet::kConverged, false, 0},
    {"east", "kvm-guest-firecracker-6.18", "2026.11.0", Puppet::kConverged, false, 0},
    {"west", kBareMetal, "2026.11.0", Puppet::kConverged, false, 16},
    {"west", kBareMetal, "2026.11.0", Puppet::kConverged, false, 20},
    {"west", kBareMetal, "2026.11.0", Puppet::kConverged, false, 24},
    {"west", kBareMetal, "2026.10.0", Puppet::kDrifted, false, 64},
    {"west", "kvm-guest-qemu-dmi-synthesized", "2026.11.0", Puppet::kConverged, false, 0},
    {"west", "xen-guest-synthesized", "2026.11.0", Puppet::kConverged, true, 0},
    {"west", "docker-container-synthesized", "2026.11.0", Puppet::kStale, false, 0},
    {"west", "lxc-container-synthesized", "2026.10.0", Puppet::kConverged, false, 0},
    {"west", "openvz-container-synthesized", "2026.10.0", Puppet::kFailing, false, 0},
    {"west", "docker-in-kvm-qemu-synthesized", "2026.11.0", Puppet::kConverged, false, 0},
    {"west", "podman-container-in-kvm-firecracker-6.18", "2026.11.0", Puppet::kDrifted, false, 0},
    {"west", "container-in-kvm-docker-marker-firecracker-6.18", "2026.11.0", Puppet::kConverged,
     false, 0},
    {"west", "wsl2-synthesized", "2026.10.0", Puppet::kConverged, false, 0},
    {"west", "kvm-guest-libvirt-test-domain-synthesized", "2026.11.0", Puppet::kStale, false, 0},
    {"west", "kvm-guest-firecracker-6.18", "2026.11.0", Puppet::kConverged, false, 0},
    {"west", "xen-guest-synthesized", "2026.11.0", Puppet::kFailing, false, 0},
};
constexpr int kHosts = sizeof(kFleet) / sizeof(kFleet[0]);
const char* const kSites[] = {"east", "west"};

constexpr char kImageId[] = "strata-fleet-base";
// The running domains of tests/fixtures/observability/overcommitted-hypervisor.xml.
constexpr double kRunningVcpus = 96;
// HypervisorVCPUOvercommitHigh's threshold (mixin/config.libsonnet).
constexpr double kOvercommitThreshold = 4;
// tests/fixtures/host/bare-metal-synthesized: 16 CPUs, MemAvailable (host/expected.tsv).
constexpr double kBareMetalCpus = 16;
constexpr double kBareMetalMemoryAvailableBytes = 113778827264;

// Drift as the Fleet dashboard counts it: a drifted baseline, or resources
// a run left out of sync (a noop run's, and a failed run's).
bool Drifts(const Host& host) {
  return host.file_drift || host.puppet == Puppet::kDrifted || host.puppet == Puppet::kFailing;
}

// `n` in decimal, zero-padded to `width` digits.
std::string Digits(int n, size_t width) {
  std::string text = std::to_string(n);
  return std::string(width > text.size() ? width - text.size() : 0, '0') + text;
}

// Copies every file below `source` into `target`, keeping what is there.
void Merge(const fs::path& source, const fs::path& target) {
  fs::create_directories(target);
  fs::copy(source, target,
           fs::copy_options::recursive | fs::copy_options::skip_existing |
               fs::copy_options::copy_symlinks);
}

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// `text` with every match of `pattern` replaced; counts the replacements.
std::string Replace(const std::string& text, const std::string& pattern,
                    const std::string& replacement, int* count) {
  const std::regex re(pattern);
  *count = static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
  return std::regex_replace(text, re, replacement);
}

// Puppet's two files for `puppet`, below `rootfs`, with the last run ended
// `age_seconds` ago.
std::string WritePuppet(Puppet puppet, double age_seconds, const fs::path& rootfs) {
  const fs::path source = kFixtures / "puppet" /
                          (puppet == Puppet::kFailing ? "puppet-7.23-debian12-failed-exec"
                                                      : "puppet-7.23-debian12-noop-drift") /
                          "rootfs/var/cache/puppet";
  std::string summary = ReadWholeFile(source / "public/last_run_summary.yaml");
  std::string report = ReadWholeFile(source / "state/last_run_report.yaml");
  // The summary's last_run, and the report's start a second before it (the
  // collector uses a report only when it is of the summary's run).
  const absl::Time last_run =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() - absl::Seconds(age_seconds)));
  int n = 0, m = 0;
  summary = Replace(summary, "last_run: [0-9]+",
                    absl::StrCat("last_run: ", absl::ToUnixSeconds(last_run)), &n);
  report = Replace(report, "\ntime: '[^']*'",
                   absl::StrCat("\ntime: '",
                                absl::FormatTime("%Y-%m-%dT%H:%M:%S+00:00",
                                                 last_run - absl::Seconds(1), absl::UTCTimeZone()),
                                "'"),
                   &m);
  if (n != 1 || m != 1) return "the Puppet fixture has no time.last_run or report time";
  if (puppet == Puppet::kConverged || puppet == Puppet::kStale) {
    int a = 0, b = 0, c = 0, d = 0;
    summary = Replace(summary, "out_of_sync: 1", "out_of_sync: 0", &a);
    summary = Replace(summary, "  noop: 1", "  noop: 0", &b);
    report = Replace(report, "\nnoop: true", "\nnoop: false", &c);
    report = Replace(report, "\nnoop_pending: true", "\nnoop_pending: false", &d);
    if (a != 1 || b != 1 || c != 1 || d != 1) return "the noop-drift fixture changed shape";
  }
  Write(rootfs / "var/cache/puppet/public/last_run_summary.yaml", summary);
  Write(rootfs / "var/cache/puppet/state/last_run_report.yaml", report);
  return "";
}

// A libvirt test-driver node: the overcommitted fixture hypervisor (96
// vCPUs and 48 GiB running) on a host with `cpus` CPUs and 64 GiB, its
// domains' UUIDs made its own from fleet index `host`.
std::string WriteNode(int host, int cpus, const fs::path& path) {
  std::string xml = ReadWholeFile(kFixtures / "observability/overcommitted-hypervisor.xml");
  int a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
  xml = Replace(xml, "<active>16</active>", absl::StrCat("<active>", cpus, "</active>"), &a);
  xml = Replace(xml, "<sockets>2</sockets>", "<sockets>1</sockets>", &b);
  xml = Replace(xml, "<cores>4</cores>", absl::StrCat("<cores>", cpus, "</cores>"), &c);
  xml = Replace(xml, "<threads>2</threads>", "<threads>1</threads>", &d);
  xml = Replace(xml, "<memory>33554432</memory>", "<memory>67108864</memory>", &e);
  // Domain UUIDs are unique across the fleet.
  xml = Replace(xml, "<uuid>22222222-", absl::StrCat("<uuid>", Digits(host, 8), "-"), &f);
  if (a != 1 || b != 1 || c != 1 || d != 1 || e != 1 || f != 5) {
    return "overcommitted-hypervisor.xml changed shape";
  }
  Write(path, xml);
  return "";
}

// The sha256sum line of `path` (absolute) as `name`.
std::string Sha256Line(const fs::path& path, const std::string& name) {
  CommandResult result = RunCommand({"sha256sum", path.string()});
  if (result.exit_code != 0 || result.output.size() < 64) return "";
  return absl::StrCat(result.output.substr(0, 64), "  ", name, "\n");
}

// The rule file the site servers carry: the mixin with `site` as its
// cluster label and every alert's `for` at 1s.
std::string GenerateRules(const fs::path& dir, std::string* error) {
  const std::string jsonnet = FindExecutable("jsonnet");
  if (jsonnet.empty()) {
    *error = "no jsonnet (Debian package jsonnet)";
    return "";
  }
  const fs::path overrides = dir / "overrides.libsonnet";
  Write(
      overrides,
      "{ _config+:: { clusterLabel: 'site',\n"
      "  alerts: std.mapWithKey(function(name, alert) alert { 'for': '1s' }, super.alerts) } }\n");
  CommandResult result =
      RunCommand({jsonnet, "-J", (kSource / "mixin").string(), "--tla-code-file",
                  "overrides=" + overrides.string(), "-S", "-e",
                  "function(overrides) (import 'files.jsonnet')(overrides).rules"});
  if (result.exit_code != 0) {
    *error = "jsonnet: " + result.output;
    return "";
  }
  const fs::path rules = dir / "strata.rules.yml";
  Write(rules, result.output);
  return rules.string();
}

// The federation job of deploy/fleet/prometheus-federate.yml as YAML list
// items for scrape_configs: its match[] list and labels as committed, its
// targets the site servers' addresses, its interval a second.
std::string FederationJob(const std::vector<std::string>& sites, std::string* error) {
  try {
    YAML::Node config = YAML::LoadFile((kSource / "deploy/fleet/prometheus-federate.yml").string());
    YAML::Node job = config["scrape_configs"][0];
    if (!job["params"]["match[]"].IsSequence() || !job["honor_labels"].as<bool>()) {
      *error = "deploy/fleet/prometheus-federate.yml changed shape";
      return "";
    }
    job["scrape_interval"] = "1s";
    job["scrape_timeout"] = "1s";
    YAML::Node targets(YAML::NodeType::Sequence);
    for (const std::string& site : sites) targets.push_back(site);
    job["static_configs"] = YAML::Node(YAML::NodeType::Sequence);
    job["static_configs"][0]["targets"] = targets;
    YAML::Node jobs(YAML::NodeType::Sequence);
    jobs.push_back(job);
    YAML::Emitter out;
    out << jobs;
    std::string indented;
    for (absl::string_view line : absl::StrSplit(out.c_str(), '\n')) {
      absl::StrAppend(&indented, "  ", line, "\n");
    }
    return indented;
  } catch (const YAML::Exception& e) {
    *error = absl::StrCat("deploy/fleet/prometheus-federate.yml: ", e.what());
    return "";
  }
}

// Alert labels and annotations from a webhook notification.
struct Delivered {
  std::string path;  // the receiver's URL path
  std::map<std::string, std::string> group_labels;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string status;
};

// Every alert of every notification `receiver` got.
std::vector<Delivered> DeliveredAlerts(const WebhookReceiver& receiver) {
  std::vector<Delivered> out;
  for (const WebhookRequest& request : receiver.Requests()) {
    rapidjson::Document doc;
    doc.Parse(request.body.c_str());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("alerts") ||
        !doc["alerts"].IsArray()) {
      ADD_FAILURE() << "not an Alertmanager notification: " << request.body;
      continue;
    }
    std::map<std::string, std::string> group_labels;
    if (doc.HasMember("groupLabels")) group_labels = JsonStringMap(doc["groupLabels"]);
    for (const rapidjson::Value& alert : doc["alerts"].GetArray()) {
      Delivered d;
      d.path = request.path;
      d.group_labels = group_labels;
      if (alert.HasMember("labels")) d.labels = JsonStringMap(alert["labels"]);
      if (alert.HasMember("annotations")) d.annotations = JsonStringMap(alert["annotations"]);
      if (alert.HasMember("status") && alert["status"].IsString()) {
        d.status = alert["status"].GetString();
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::string Label(const std::map<std::string, std::string>& labels, const std::string& name) {
  auto it = labels.find(name);
  return it == labels.end() ? "" : it->second;
}

// The queries of every panel titled `title` in `panels` and the rows below
// them, as Grafana sends them on first load with every variable at "All" (a
// regex that matches every value, the empty one included).
void CollectPanelQueries(const rapidjson::Value& panels, const std::string& title,
                         std::vector<std::string>* queries) {
  if (!panels.IsArray()) return;
  static const std::regex variable(
      "\\$\\{[a-zA-Z_][a-zA-Z0-9_]*(:[a-z]+)?\\}|\\$[a-zA-Z_][a-zA-Z0-9_]*");
  for (const rapidjson::Value& panel : panels.GetArray()) {
    if (panel.HasMember("panels")) CollectPanelQueries(panel["panels"], title, queries);
    if (!panel.HasMember("title") || panel["title"] != title.c_str()) continue;
    if (!panel.HasMember("targets") || !panel["targets"].IsArray()) continue;
    for (const rapidjson::Value& target : panel["targets"].GetArray()) {
      if (!target.HasMember("expr") || !target["expr"].IsString()) continue;
      std::string expr = absl::StrReplaceAll(target["expr"].GetString(),
                                             {{"$__rate_interval", "1m"}, {"$__interval", "1s"}});
      queries->push_back(std::regex_replace(expr, variable, ".*"));
    }
  }
}

// The queries of the panel titled `title` of dashboards/<dashboard>.json.
std::vector<std::string> PanelQueries(const std::string& dashboard, const std::string& title) {
  rapidjson::Document doc;
  const std::string text = ReadWholeFile(kSource / "dashboards" / (dashboard + ".json"));
  doc.Parse(text.c_str());
  std::vector<std::string> queries;
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("panels")) return queries;
  CollectPanelQueries(doc["panels"], title, &queries);
  return queries;
}

std::vector<std::string> FleetPanelQueries(const std::string& title) {
  return PanelQueries("fleet", title);
}

class FleetE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = new std::string();
    if (!PrometheusAvailable() || !VictoriaMetricsAvailable() || AlertmanagerBinary().empty()) {
      return;
    }
    const absl::Time started = absl::Now();
    char templ[] = "/tmp/strata-fleet-XXXXXX";
    root_ = new fs::path(mkdtemp(templ));
    *setup_error_ = BuildRoots();
    if (!setup_error_->empty()) return;

    // All exporters at once: each takes a moment to start, longer under
    // AddressSanitizer, and they do not wait on each other; the global
    // store, Alertmanager and the rules are made meanwhile.
    exporters_ = new std::vector<std::unique_ptr<ExporterProcess>>();
    targets_ = new std::vector<std::string>();
    for (int i = 0; i < kHosts; ++i) {
      exporters_->push_back(std::make_unique<ExporterProcess>());
      if (!exporters_->back()->Launch(ExporterArgs(i))) {
        *setup_error_ = absl::StrCat("cannot run exporter ", i);
        return;
      }
    }
    store_ = new VictoriaMetricsServer();
    if (!store_->Start()) {
      *setup_error_ = "victoria-metrics did not start: " + store_->log();
      return;
    }
    receiver_ = new WebhookReceiver();
    if (!receiver_->ok()) {
      *setup_error_ = "the webhook receiver cannot listen";
      return;
    }
    std::string config = AlertmanagerConfig(setup_error_);
    if (!setup_error_->empty()) return;
    alertmanager_ = new AlertmanagerServer();
    if (!alertmanager_->Start(config)) {
      *setup_error_ = "alertmanager did not start: " + alertmanager_->log();
      return;
    }
    const std::string rules = GenerateRules(*root_, setup_error_);
    if (rules.empty()) return;
    for (int i = 0; i < kHosts; ++i) {
      if (!(*exporters_)[i]->WaitListening(absl::Seconds(15) * kTimingFactor)) {
        *setup_error_ = absl::StrCat("exporter ", i, " (", kFleet[i].kind,
                                     ") did not start: ", (*exporters_)[i]->stderr_text());
        return;
      }
      targets_->push_back(absl::StrCat("127.0.0.1:", (*exporters_)[i]->port()));
    }

    sites_ = new std::map<std::string, std::unique_ptr<PrometheusServer>>();
    for (const char* site : kSites) {
      std::vector<std::string> targets;
      for (int i = 0; i < kHosts; ++i) {
        if (std::string(kFleet[i].site) == site) targets.push_back((*targets_)[i]);
      }
      PrometheusOptions options;
      options.external_labels = {{"site", site}};
      options.remote_write_urls = {store_->remote_write_url()};
      options.alertmanagers = {alertmanager_->address()};
      auto server = std::make_unique<PrometheusServer>();
      if (!server->Start(targets, {rules}, options)) {
        *setup_error_ =
            absl::StrCat("prometheus of site ", site, " did not start: ", server->log());
        return;
      }
      (*sites_)[site] = std::move(server);
    }

    // A global Prometheus federating the sites as deploy/fleet/ says.
    std::vector<std::string> site_addresses;
    for (const auto& [site, server] : *sites_) {
      site_addresses.push_back(absl::StrCat("127.0.0.1:", server->port()));
    }
    PrometheusOptions federating;
    federating.extra_scrape_configs = FederationJob(site_addresses, setup_error_);
    if (!setup_error_->empty()) return;
    federated_ = new PrometheusServer();
    if (!federated_->Start(std::vector<std::string>{}, {}, federating)) {
      *setup_error_ = "the federating prometheus did not start: " + federated_->log();
      return;
    }

    // Ready when the global store has every host scraped three times (rate()
    // needs two samples) and both sites' cluster-level density rules, the
    // last of a chain of three.
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      PromQueryResult up =
          store_->Query("count(count_over_time(up{job=\"strata\"}[1m]) >= 3 and up == 1)");
      PromQueryResult idle = store_->Query("count(strata:cluster_physical_cpu_idle:cores)");
      PromQueryResult federated =
          federated_->Query("count(strata:cluster_physical_cpu_idle:cores)");
      if (up.ok && idle.ok && up.samples.size() == 1 && up.samples[0].value == kHosts &&
          idle.samples.size() == 1 && idle.samples[0].value == 2 && federated.ok &&
          federated.samples.size() == 1 && federated.samples[0].value == 2) {
        ready_seconds_ = absl::ToDoubleSeconds(absl::Now() - started);
        return;
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
    *setup_error_ = absl::StrCat("the global store did not get every host within 60 s; site east: ",
                                 (*sites_)["east"]->log(), "\nvictoria-metrics: ", store_->log());
  }

  static void TearDownTestSuite() {
    delete federated_;
    federated_ = nullptr;
    delete sites_;
    sites_ = nullptr;
    delete alertmanager_;
    alertmanager_ = nullptr;
    delete receiver_;
    receiver_ = nullptr;
    delete store_;
    store_ = nullptr;
    delete exporters_;
    exporters_ = nullptr;
    delete targets_;
    targets_ = nullptr;
    if (root_ != nullptr) {
      std::error_code ignored;
      fs::remove_all(*root_, ignored);
      delete root_;
      root_ = nullptr;
    }
    delete setup_error_;
    setup_error_ = nullptr;
  }

  void SetUp() override {
    if (!PrometheusAvailable()) GTEST_SKIP() << "Debian's prometheus is not installed";
    if (!VictoriaMetricsAvailable()) GTEST_SKIP() << "Debian's victoria-metrics is not installed";
    if (AlertmanagerBinary().empty()) {
      GTEST_SKIP() << "Debian's prometheus-alertmanager is not installed";
    }
    ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
  }

  // Each host's rootfs (and hypervisor node) under the suite's directory:
  // the host fixture's rootfs, Puppet's files, an image stamp, a file
  // baseline, its own sysfs. procfs is the committed fixture's, read in place.
  static std::string BuildRoots() {
    for (int i = 0; i < kHosts; ++i) {
      const Host& host = kFleet[i];
      const fs::path dir = HostDir(i);
      const fs::path rootfs = dir / "rootfs";
      Merge(kFixtures / "host" / host.kind / "rootfs", rootfs);
      // Each host its own identity, as in a real fleet: hosts of one kind
      // share a fixture, and the strata:vm_* rules join guests to domains by
      // DMI UUID (two guests with one UUID make that join fail for the site).
      Merge(kFixtures / "host" / host.kind / "sys", dir / "sys");
      const fs::path uuid = dir / "sys/class/dmi/id/product_uuid";
      if (fs::exists(uuid))
        Write(uuid, absl::StrCat("f1ee7000-0000-4000-8000-", Digits(i, 12), "\n"));
      if (fs::exists(rootfs / "etc/machine-id")) {
        Write(rootfs / "etc/machine-id", absl::StrCat("f1ee7000000040008000", Digits(i, 12), "\n"));
      }
      const double age = host.puppet == Puppet::kStale ? 3 * 86400 : 60;
      std::string error = WritePuppet(host.puppet, age, rootfs);
      if (!error.empty()) return error;
      Write(rootfs / "etc/strata/image-stamp",
            absl::StrCat("IMAGE_ID=", kImageId, "\nIMAGE_VERSION=", host.image_version,
                         "\nBUILD_ID=fleet-", i, "\n"));
      Write(rootfs / "etc/motd", "Welcome to the fleet.\n");
      std::string baseline =
          Sha256Line(rootfs / "etc/strata/image-stamp", "etc/strata/image-stamp");
      std::string motd = Sha256Line(rootfs / "etc/motd", "etc/motd");
      if (baseline.empty() || motd.empty()) return "sha256sum failed";
      // A drifted host's motd was edited after the baseline was taken.
      if (host.file_drift) motd = std::string(64, '0') + motd.substr(64);
      Write(rootfs / "var/lib/strata/files.sha256", baseline + motd);
      if (host.hypervisor_cpus > 0) {
        error = WriteNode(i, host.hypervisor_cpus, dir / "node.xml");
        if (!error.empty()) return error;
      }
    }
    return "";
  }

  static fs::path HostDir(int i) { return *root_ / absl::StrCat("host-", i); }

  static std::vector<std::string> ExporterArgs(int i) {
    const Host& host = kFleet[i];
    const fs::path fixture = kFixtures / "host" / host.kind;
    std::vector<std::string> args = {
        "--web.listen-address=127.0.0.1:0",
        "--collector.disable-defaults",
        "--collector.host",
        "--collector.image",
        "--collector.image.stamp-file=/etc/strata/image-stamp",
        "--collector.puppet",
        "--collector.drift",
        "--collector.drift.files=etc=/var/lib/strata/files.sha256",
        "--path.procfs=" + (fixture / "proc").string(),
        "--path.sysfs=" + (HostDir(i) / "sys").string(),
        "--path.rootfs=" + (HostDir(i) / "rootfs").string(),
    };
    if (host.hypervisor_cpus > 0) {
      args.push_back("--collector.libvirt");
      args.push_back("--collector.libvirt.uri=test://" + (HostDir(i) / "node.xml").string());
    }
    return args;
  }

  // deploy/alertmanager.yml with its waits at a second and its receivers'
  // URLs pointed at the test's listener; nothing else changes.
  static std::string AlertmanagerConfig(std::string* error) {
    std::string config = ReadWholeFile(kSource / "deploy/alertmanager.yml");
    int waits = 0, intervals = 0, urls = 0;
    config = Replace(config, "group_wait: [0-9]+[smh]", "group_wait: 1s", &waits);
    config = Replace(config, "group_interval: [0-9]+[smh]", "group_interval: 1s", &intervals);
    config = Replace(config, "url: http://alert-bridge\\.example\\.internal:9095",
                     "url: http://127.0.0.1:" + std::to_string(receiver_->port()), &urls);
    if (waits != 1 || intervals != 1 || urls != 2) {
      *error = absl::StrCat("deploy/alertmanager.yml changed shape: ", waits, " group_wait, ",
                            intervals, " group_interval, ", urls, " receiver URLs");
    }
    return config;
  }

  // The instance of each host `keep` selects, by site.
  template <typename Keep>
  static std::map<std::string, std::set<std::string>> InstancesBySite(Keep keep) {
    std::map<std::string, std::set<std::string>> out;
    for (int i = 0; i < kHosts; ++i) {
      if (keep(kFleet[i])) out[kFleet[i].site].insert((*targets_)[i]);
    }
    return out;
  }

  // The global store's answer to `promql`, site -> instances of its series.
  static std::map<std::string, std::set<std::string>> StoreInstancesBySite(
      const std::string& promql) {
    PromQueryResult result = store_->Query(promql);
    EXPECT_TRUE(result.ok) << promql << ": " << result.error;
    std::map<std::string, std::set<std::string>> out;
    for (const PromSample& sample : result.samples) {
      out[Label(sample.labels, "site")].insert(Label(sample.labels, "instance"));
    }
    return out;
  }

  // The single value of `promql` in the global store.
  static double StoreValue(const std::string& promql) {
    PromQueryResult result = store_->Query(promql);
    EXPECT_TRUE(result.ok) << promql << ": " << result.error;
    EXPECT_EQ(result.samples.size(), 1u) << promql << ": " << result.body;
    return result.samples.empty() ? -1 : result.samples[0].value;
  }

  static fs::path* root_;
  static std::vector<std::unique_ptr<ExporterProcess>>* exporters_;
  static std::vector<std::string>* targets_;
  static VictoriaMetricsServer* store_;
  static WebhookReceiver* receiver_;
  static AlertmanagerServer* alertmanager_;
  static std::map<std::string, std::unique_ptr<PrometheusServer>>* sites_;
  static PrometheusServer* federated_;
  static std::string* setup_error_;
  static double ready_seconds_;
};

fs::path* FleetE2eTest::root_ = nullptr;
std::vector<std::unique_ptr<ExporterProcess>>* FleetE2eTest::exporters_ = nullptr;
std::vector<std::string>* FleetE2eTest::targets_ = nullptr;
VictoriaMetricsServer* FleetE2eTest::store_ = nullptr;
WebhookReceiver* FleetE2eTest::receiver_ = nullptr;
AlertmanagerServer* FleetE2eTest::alertmanager_ = nullptr;
std::map<std::string, std::unique_ptr<PrometheusServer>>* FleetE2eTest::sites_ = nullptr;
PrometheusServer* FleetE2eTest::federated_ = nullptr;
std::string* FleetE2eTest::setup_error_ = nullptr;
double FleetE2eTest::ready_seconds_ = 0;

// Both sites' hosts reach the global store, each with its site label and
// every collector it runs succeeding.
TEST_F(FleetE2eTest, GlobalStoreHoldsEveryHostOfBothSites) {
  std::cout << "fleet ready in the global store " << ready_seconds_ << " s after the start; "
            << StoreValue("count({__name__=~\".+\"})") << " series there, of which "
            << StoreValue("count({__name__=~\"strata:.+\"})") << " recording-rule outputs, for "
            << kHosts << " hosts\n";
  EXPECT_EQ(StoreInstancesBySite("up{job=\"strata\"} == 1"),
            InstancesBySite([](const Host&) { return true; }));
  EXPECT_EQ(StoreValue("count(strata_scrape_collector_success == 0) or vector(0)"), 0);
  // Every rule evaluates at both sites (a join that fails for duplicate
  // series fails for the whole site).
  for (const auto& [site, server] : *sites_) {
    HttpResult rules = HttpGet(server->base_url() + "/api/v1/rules");
    ASSERT_TRUE(rules.ok) << rules.error;
    rapidjson::Document doc;
    doc.Parse(rules.body.c_str());
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("data")) << rules.body;
    int evaluated = 0;
    for (const rapidjson::Value& group : doc["data"]["groups"].GetArray()) {
      for (const rapidjson::Value& rule : group["rules"].GetArray()) {
        ++evaluated;
        EXPECT_STREQ(rule["health"].GetString(), "ok")
            << site << ": " << rule["name"].GetString() << ": "
            << (rule.HasMember("lastError") ? rule["lastError"].GetString() : "");
      }
    }
    EXPECT_GT(evaluated, 40) << site;
  }
  // Every host kind of the fixtures is in the fleet.
  std::set<std::string> kinds;
  for (const Host& host : kFleet) kinds.insert(host.kind);
  for (const auto& entry : fs::directory_iterator(kFixtures / "host")) {
    if (fs::exists(entry.path() / "proc")) {
      EXPECT_TRUE(kinds.count(entry.path().filename().string())) << entry.path();
    }
  }
  PromQueryResult roles = store_->Query("count by (role) (strata_host_virtualization_info)");
  ASSERT_TRUE(roles.ok) << roles.error;
  EXPECT_GE(roles.samples.size(), 4u) << roles.body;  // bare-metal, vm, container, container-in-vm
}

// Image versions: how many distinct ones run, and how many hosts run each.
TEST_F(FleetE2eTest, ImageVersionsAndHostsPerVersion) {
  std::map<std::string, double> expected;
  for (const Host& host : kFleet) expected[host.image_version] += 1;
  ASSERT_EQ(expected.size(), 4u);
  PromQueryResult result =
      store_->Query("count by (image_id, image_version) (strata_image_info{image_version!=\"\"})");
  ASSERT_TRUE(result.ok) << result.error;
  std::map<std::string, double> per_version;
  for (const PromSample& sample : result.samples) {
    EXPECT_EQ(Label(sample.labels, "image_id"), kImageId);
    per_version[Label(sample.labels, "image_version")] = sample.value;
  }
  EXPECT_EQ(per_version, expected);

  // The Fleet dashboard, against the global store.
  const std::vector<std::string> distinct = FleetPanelQueries("Distinct image versions");
  ASSERT_EQ(distinct.size(), 1u);
  EXPECT_EQ(StoreValue(distinct[0]), expected.size()) << distinct[0];
  const std::vector<std::string> hosts = FleetPanelQueries("Hosts per image version");
  ASSERT_EQ(hosts.size(), 1u);
  PromQueryResult panel = store_->Query(hosts[0]);
  ASSERT_TRUE(panel.ok) << hosts[0] << ": " << panel.error;
  std::map<std::string, double> panel_per_version;
  for (const PromSample& sample : panel.samples) {
    panel_per_version[Label(sample.labels, "image_version")] = sample.value;
  }
  EXPECT_EQ(panel_per_version, expected) << hosts[0];
  const std::vector<std::string> count = FleetPanelQueries("Hosts");
  ASSERT_EQ(count.size(), 1u);
  EXPECT_EQ(StoreValue(count[0]), kHosts) << count[0];
}

// Hypervisors whose running domains have more vCPUs per CPU than the
// alert's threshold: the 24-CPU one (exactly 4x) is not among them.
TEST_F(FleetE2eTest, HypervisorsAboveTheOvercommitThreshold) {
  auto above = [](const Host& h) {
    return h.hypervisor_cpus > 0 && kRunningVcpus / h.hypervisor_cpus > kOvercommitThreshold;
  };
  const auto expected = InstancesBySite(above);
  ASSERT_EQ(expected.at("east").size() + expected.at("west").size(), 4u);
  EXPECT_EQ(
      StoreInstancesBySite(absl::StrCat(
          "strata:hypervisor_vcpu_overcommit:ratio{scope=\"running\"} > ", kOvercommitThreshold)),
      expected);

  // The Fleet dashboard's bar gauge shows every hypervisor's ratio.
  const std::vector<std::string> queries =
      FleetPanelQueries("Most overcommitted hypervisors: vCPUs (running)");
  ASSERT_EQ(queries.size(), 1u);
  PromQueryResult panel = store_->Query(queries[0]);
  ASSERT_TRUE(panel.ok) << queries[0] << ": " << panel.error;
  std::map<std::string, double> ratios;
  for (const PromSample& sample : panel.samples) {
    ratios[Label(sample.labels, "instance")] = sample.value;
  }
  std::map<std::string, double> expected_ratios;
  for (int i = 0; i < kHosts; ++i) {
    if (kFleet[i].hypervisor_cpus > 0) {
      expected_ratios[(*targets_)[i]] = kRunningVcpus / kFleet[i].hypervisor_cpus;
    }
  }
  ASSERT_EQ(ratios.size(), expected_ratios.size()) << panel.body;
  for (const auto& [instance, ratio] : expected_ratios) {
    EXPECT_DOUBLE_EQ(ratios[instance], ratio) << instance;
  }
}

// Hosts with drift (a drifted baseline, resources a run left out of sync)
// or whose convergence is stale (no Puppet run for 2 hours).
TEST_F(FleetE2eTest, HostsWithDriftOrStaleConvergence) {
  const auto expected =
      InstancesBySite([](const Host& h) { return Drifts(h) || h.puppet == Puppet::kStale; });
  EXPECT_EQ(
      StoreInstancesBySite("count by (site, instance) ("
                           "strata_drift_files{state!=\"matching\"} > 0"
                           " or strata_convergence_resources{state=\"out_of_sync\"} > 0"
                           " or strata_puppet_noop_pending == 1"
                           " or time() - strata_convergence_last_run_timestamp_seconds > 7200)"),
      expected);

  // The Fleet dashboard's counts.
  int drifting = 0, failing = 0, stale = 0;
  for (const Host& host : kFleet) {
    drifting += Drifts(host);
    failing += host.puppet == Puppet::kFailing;
    stale += host.puppet == Puppet::kStale;
  }
  const std::vector<std::string> drift = FleetPanelQueries("Hosts with drift");
  ASSERT_GE(drift.size(), 1u);
  EXPECT_EQ(StoreValue(drift[0]), drifting) << drift[0];
  const std::vector<std::string> failed = FleetPanelQueries("Hosts whose last run failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(StoreValue(failed[0]), failing) << failed[0];
  // "Convergence health per tool": hosts, last runs ok, no run for 2h.
  const std::vector<std::string> health = FleetPanelQueries("Convergence health per tool");
  ASSERT_EQ(health.size(), 4u);
  EXPECT_EQ(StoreValue(health[0]), kHosts) << health[0];
  EXPECT_EQ(StoreValue(health[1]), kHosts - failing) << health[1];
  EXPECT_EQ(StoreValue(health[2]), stale) << health[2];
}

// Stranded capacity: the density rules' idle physical capacity per site
// (every bare-metal host's CPUs, idle in a static capture, and its
// MemAvailable), evaluated at the sites and read from the global store.
TEST_F(FleetE2eTest, StrandedCapacityPerSite) {
  std::map<std::string, double> bare_metal;
  for (const Host& host : kFleet) bare_metal[host.site] += std::string(host.kind) == kBareMetal;
  PromQueryResult cpu = store_->Query("strata:cluster_physical_cpu_idle:cores");
  ASSERT_TRUE(cpu.ok) << cpu.error;
  std::map<std::string, double> cpu_by_site;
  for (const PromSample& sample : cpu.samples)
    cpu_by_site[Label(sample.labels, "site")] = sample.value;
  EXPECT_EQ(cpu_by_site,
            (std::map<std::string, double>{{"east", bare_metal["east"] * kBareMetalCpus},
                                           {"west", bare_metal["west"] * kBareMetalCpus}}));
  PromQueryResult memory = store_->Query("strata:cluster_physical_memory_idle:bytes");
  ASSERT_TRUE(memory.ok) << memory.error;
  std::map<std::string, double> memory_by_site;
  for (const PromSample& sample : memory.samples) {
    memory_by_site[Label(sample.labels, "site")] = sample.value;
  }
  EXPECT_EQ(memory_by_site, (std::map<std::string, double>{
                                {"east", bare_metal["east"] * kBareMetalMemoryAvailableBytes},
                                {"west", bare_metal["west"] * kBareMetalMemoryAvailableBytes}}));

  // The Density dashboard's totals, over both sites, against the global store.
  const double hosts = bare_metal["east"] + bare_metal["west"];
  const std::vector<std::string> idle_cpus = PanelQueries("density", "Idle physical CPUs (1d)");
  ASSERT_EQ(idle_cpus.size(), 1u);
  EXPECT_EQ(StoreValue(idle_cpus[0]), hosts * kBareMetalCpus) << idle_cpus[0];
  const std::vector<std::string> idle_memory = PanelQueries("density", "Idle physical memory (1d)");
  ASSERT_EQ(idle_memory.size(), 1u);
  EXPECT_EQ(StoreValue(idle_memory[0]), hosts * kBareMetalMemoryAvailableBytes) << idle_memory[0];
}

// The other way to a global view: a Prometheus federating only the sites'
// per-host and per-site rule outputs and the few series the overview counts
// (deploy/fleet/prometheus-federate.yml) answers the same questions.
TEST_F(FleetE2eTest, FederatedRuleOutputsAnswerTheOverview) {
  auto values_by = [](const std::string& promql, const std::string& label) {
    PromQueryResult result = federated_->Query(promql);
    EXPECT_TRUE(result.ok) << promql << ": " << result.error;
    std::map<std::string, double> out;
    for (const PromSample& sample : result.samples) out[Label(sample.labels, label)] = sample.value;
    return out;
  };
  std::map<std::string, double> per_version;
  for (const Host& host : kFleet) per_version[host.image_version] += 1;
  EXPECT_EQ(values_by("sum by (image_version) (strata:image_version_hosts:count)", "image_version"),
            per_version);
  std::map<std::string, double> above;
  for (int i = 0; i < kHosts; ++i) {
    const Host& h = kFleet[i];
    if (h.hypervisor_cpus > 0 && kRunningVcpus / h.hypervisor_cpus > kOvercommitThreshold) {
      above[(*targets_)[i]] = kRunningVcpus / h.hypervisor_cpus;
    }
  }
  EXPECT_EQ(values_by(absl::StrCat("strata:hypervisor_vcpu_overcommit:ratio{scope=\"running\"} > ",
                                   kOvercommitThreshold),
                      "instance"),
            above);
  int stale = 0;
  for (const Host& host : kFleet) stale += host.puppet == Puppet::kStale;
  EXPECT_EQ(values_by("count(time() - strata_convergence_last_run_timestamp_seconds > 7200)", ""),
            (std::map<std::string, double>{{"", stale}}));
  // Federation keeps each site's external label.
  std::map<std::string, double> idle;
  for (const Host& host : kFleet) {
    idle[host.site] += std::string(host.kind) == kBareMetal ? kBareMetalCpus : 0;
  }
  EXPECT_EQ(values_by("strata:cluster_physical_cpu_idle:cores", "site"), idle);
  // Only what the match[] list names: no raw per-host series beyond those.
  EXPECT_EQ(values_by("count({__name__=~\"strata_domain_.+|strata_puppet_.+\"}) or vector(0)", ""),
            (std::map<std::string, double>{{"", 0}}));
}

// Alertmanager delivers the paging alerts to the paging receiver, one
// notification per alert name and site, with the labels, summary and
// runbook, and keeps info alerts off that route.
TEST_F(FleetE2eTest, AlertmanagerDeliversPagingAlertsToTheReceiver) {
  const auto drifted = InstancesBySite([](const Host& h) { return h.puppet == Puppet::kDrifted; });
  const auto overcommitted = InstancesBySite([](const Host& h) {
    return h.hypervisor_cpus > 0 && kRunningVcpus / h.hypervisor_cpus > kOvercommitThreshold;
  });
  // alertname -> site -> instances delivered to /paging.
  std::map<std::string, std::map<std::string, std::set<std::string>>> paged;
  std::vector<Delivered> alerts;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    alerts = DeliveredAlerts(*receiver_);
    paged.clear();
    bool sprawl = false;
    for (const Delivered& d : alerts) {
      if (d.path == "/paging" && d.status == "firing") {
        paged[Label(d.labels, "alertname")][Label(d.labels, "site")].insert(
            Label(d.labels, "instance"));
      }
      sprawl |= d.path == "/tickets" && Label(d.labels, "alertname") == "ImageSprawl";
    }
    if (paged["ConfigDriftDetected"] == drifted &&
        paged["HypervisorVCPUOvercommitHigh"] == overcommitted && sprawl) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_EQ(paged["ConfigDriftDetected"], drifted);
  EXPECT_EQ(paged["HypervisorVCPUOvercommitHigh"], overcommitted);

  bool sprawl_ticketed = false;
  for (const Delivered& d : alerts) {
    // ExporterDownInhibitsThatHostsAlerts' probes.
    if (Label(d.labels, "site") == "probe") continue;
    const std::string name = Label(d.labels, "alertname");
    const std::string severity = Label(d.labels, "severity");
    if (d.path == "/paging") {
      EXPECT_THAT(severity, ::testing::AnyOf("critical", "warning")) << name;
      // Grouped by alert name and site, as deploy/alertmanager.yml says.
      EXPECT_EQ(d.group_labels, (std::map<std::string, std::string>{
                                    {"alertname", name}, {"site", Label(d.labels, "site")}}));
    } else {
      EXPECT_EQ(d.path, "/tickets");
      EXPECT_EQ(severity, "info") << name;
      sprawl_ticketed |= name == "ImageSprawl" && Label(d.labels, "site") == "east";
    }
    // The stack itself works.
    EXPECT_NE(name, "ExporterDown");
    EXPECT_NE(name, "ExporterCollectorFailing");
    if (name == "ConfigDriftDetected" || name == "HypervisorVCPUOvercommitHigh") {
      EXPECT_EQ(severity, "warning");
      EXPECT_EQ(Label(d.labels, "job"), "strata");
      EXPECT_THAT(Label(d.annotations, "summary"),
                  ::testing::HasSubstr(Label(d.labels, "instance")));
      EXPECT_EQ(Label(d.annotations, "runbook_url"),
                "https://github.com/strata-exporter/strata_exporter/blob/main/docs/"
                "runbooks.md#" +
                    absl::AsciiStrToLower(name));
    }
    if (name == "ConfigDriftDetected") {
      EXPECT_EQ(Label(d.labels, "tool"), "puppet");
    }
  }
  // ImageSprawl (info) fired in site east, the one with four versions, and
  // went to the tickets receiver only.
  EXPECT_TRUE(sprawl_ticketed);
}

// The inhibition: while a host's exporter is down, its other alerts are
// held back; another host's are not. Two probe alerts posted straight to
// Alertmanager's API, in a site of their own.
TEST_F(FleetE2eTest, ExporterDownInhibitsThatHostsAlerts) {
  const std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  auto alert = [&](const std::string& name, const std::string& instance) {
    return absl::StrCat(R"({"labels": {"alertname": ")", name,
                        R"(", "severity": "warning", "site": "probe", "job": "strata", )",
                        R"("instance": ")", instance, R"("}, "startsAt": ")", now, R"("})");
  };
  HttpGetOptions post;
  post.method = "POST";
  post.headers = {"Content-Type: application/json"};
  post.body = absl::StrCat("[", alert("ExporterDown", "down:10299"), ", ",
                           alert("ConfigDriftDetected", "down:10299"), ", ",
                           alert("ConfigDriftDetected", "up:10299"), "]");
  HttpResult posted = HttpGet(alertmanager_->base_url() + "/api/v2/alerts", post);
  ASSERT_TRUE(posted.ok) << posted.error;
  ASSERT_EQ(posted.status, 200) << posted.body;

  std::set<std::string> probe;  // alertname/instance delivered in site probe
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    probe.clear();
    for (const Delivered& d : DeliveredAlerts(*receiver_)) {
      if (Label(d.labels, "site") == "probe" && d.path == "/paging") {
        probe.insert(Label(d.labels, "alertname") + "/" + Label(d.labels, "instance"));
      }
    }
    if (probe.size() >= 2) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  // Give a wrongly uninhibited alert the same time to arrive.
  absl::SleepFor(absl::Seconds(2));
  probe.clear();
  for (const Delivered& d : DeliveredAlerts(*receiver_)) {
    if (Label(d.labels, "site") == "probe" && d.path == "/paging") {
      probe.insert(Label(d.labels, "alertname") + "/" + Label(d.labels, "instance"));
    }
  }
  EXPECT_EQ(probe,
            (std::set<std::string>{"ExporterDown/down:10299", "ConfigDriftDetected/up:10299"}));
}

}  // namespace
}  // namespace strata::testing
