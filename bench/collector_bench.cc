// Cost of one collection per collector on a captured fixture, against the
// floor of replaying the same file system calls without parsing (see
// recorded_reads.h). scripts/run-bench prints each collector as a ratio to
// its floor; absolute times depend on the machine and are not compared.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/recorded_reads.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/host/host_collector.h"
#include "exporter/gzip.h"
#include "exporter/scraper.h"
#include "exporter/text_writer.h"

namespace strata {
namespace {

// `value` in lower-case hex, zero-padded to `width` digits.
std::string Hex(uint64_t value, size_t width) {
  std::string digits = absl::StrCat(absl::Hex(value));
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

// A Kubernetes pod UID (36 characters) made from a number.
std::string PodUid(uint64_t n) { return absl::StrCat(Hex(n, 8), "-0000-4000-8000-", Hex(n, 12)); }

std::unique_ptr<HostFs> FixtureFs(const std::string& relative) {
  const std::string root = std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/" + relative;
  return NewRealHostFs({root + "/proc", root + "/sys", root + "/rootfs"});
}

using CollectorFactory = std::function<std::unique_ptr<Collector>(const HostFs&, const Logger&)>;

std::unique_ptr<Collector> HostCollector(const HostFs& fs, const Logger& logger) {
  return *NewHostCollectorModule()->Create({fs, logger});
}

std::unique_ptr<Collector> CgroupCollectorOnEverything(const HostFs& fs, const Logger& logger) {
  CgroupCollectorOptions options;
  options.docker_socket = "";
  return *NewCgroupCollector({fs, logger}, options);
}

void BM_Collect(benchmark::State& state, const std::string& fixture, CollectorFactory factory) {
  auto fs = FixtureFs(fixture);
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  auto collector = factory(*fs, logger);
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> families;
    benchmark::DoNotOptimize(collector->Collect(families));
  }
}

void BM_Floor(benchmark::State& state, const std::string& fixture, CollectorFactory factory) {
  auto fs = FixtureFs(fixture);
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  RecordingHostFs recorder(*fs);
  {
    std::vector<prometheus::MetricFamily> families;
    (void)factory(recorder, logger)->Collect(families);
  }
  state.counters["calls"] = static_cast<double>(recorder.accesses().size());
  for (auto _ : state) Replay(*fs, recorder.accesses());
}

BENCHMARK_CAPTURE(BM_Floor, host, "host/kvm-guest-qemu-dmi-synthesized", HostCollector);
BENCHMARK_CAPTURE(BM_Collect, host, "host/kvm-guest-qemu-dmi-synthesized", HostCollector);
BENCHMARK_CAPTURE(BM_Floor, cgroup_hybrid, "cgroup/hybrid-firecracker-6.18",
                  CgroupCollectorOnEverything);
BENCHMARK_CAPTURE(BM_Collect, cgroup_hybrid, "cgroup/hybrid-firecracker-6.18",
                  CgroupCollectorOnEverything);
BENCHMARK_CAPTURE(BM_Floor, cgroup_v2, "cgroup/v2-kernel-docs-synthesized",
                  CgroupCollectorOnEverything);
BENCHMARK_CAPTURE(BM_Collect, cgroup_v2, "cgroup/v2-kernel-docs-synthesized",
                  CgroupCollectorOnEverything);

// What per-container network I/O adds to a collection, on this host's real
// cgroups and procfs: 100 pods of one container each (200 cgroups), each
// container's task in a network namespace of its own with lo and a veth pair.
// Each iteration collects without the network reader and then with it, so
// both see the same load; the counters give their mean times and the ratio.
// Needs root (namespaces, cgroups) and iproute2; skipped otherwise.
class NetworkNamespacesOnThisHost {
 public:
  static constexpr int kPods = 100;

  NetworkNamespacesOnThisHost() {
    namespace fs = std::filesystem;
    const fs::path root = "/sys/fs/cgroup";
    if (geteuid() != 0 || access("/bin/sh", X_OK) != 0 ||
        (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0 &&
         access("/usr/bin/ip", X_OK) != 0 && access("/bin/ip", X_OK) != 0)) {
      error_ = "needs root and iproute2";
      return;
    }
    if (fs::exists(root / "unified/cgroup.procs")) {
      for (const char* v1 : {"cpu", "cpuacct", "memory", "pids"}) {
        if (fs::exists(root / v1 / "cgroup.procs")) hierarchies_.push_back(root / v1);
      }
      hierarchies_.push_back(root / "unified");
    } else if (fs::exists(root / "cgroup.controllers")) {
      hierarchies_.push_back(root);
    } else {
      error_ = "no cgroup v1 + cgroup2 (hybrid) or cgroup2 tree";
      return;
    }
    top_ = absl::StrCat("/kubepods-strata-bench-", getpid());
    Mkdir(top_);
    for (int i = 0; i < kPods && error_.empty(); ++i) {
      const std::string pod = absl::StrCat(top_, "/pod", PodUid(i));
      const std::string container = absl::StrCat(pod, "/", Hex(i, 64));
      Mkdir(pod);
      Mkdir(container);
      const pid_t pid = fork();
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNET) != 0) _exit(127);
        execl("/bin/sh", "sh", "-c",
              "PATH=/usr/sbin:/usr/bin:/sbin:/bin; ip link set lo up && "
              "ip link add eth0 type veth peer name eth1 && exec sleep 3600",
              static_cast<char*>(nullptr));
        _exit(127);
      }
      tasks_.push_back(pid);
      for (const std::filesystem::path& hierarchy : hierarchies_) {
        std::ofstream(hierarchy.string() + container + "/cgroup.procs") << pid;
      }
    }
    // Every task in its namespace with its veths, and become sleep.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (pid_t pid : tasks_) {
      while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
        std::string name;
        comm >> name;
        if (name == "sleep") break;
        absl::SleepFor(absl::Milliseconds(5));
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) error_ = "tasks did not start";
  }

  ~NetworkNamespacesOnThisHost() {
    for (pid_t pid : tasks_) kill(pid, SIGKILL);
    for (pid_t pid : tasks_) waitpid(pid, nullptr, 0);
    // Deepest first.
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
      for (int i = 0; i < 100 && rmdir(it->c_str()) != 0 && errno == EBUSY; ++i) {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
  }

  const std::string& error() const { return error_; }
  const std::string& top() const { return top_; }

 private:
  void Mkdir(const std::string& cgroup) {
    for (const std::filesystem::path& hierarchy : hierarchies_) {
      const std::string dir = hierarchy.string() + cgroup;
      if (mkdir(dir.c_str(), 0755) != 0) {
        error_ = "mkdir " + dir;
        return;
      }
      made_.push_back(dir);
    }
  }

  std::vector<std::filesystem::path> hierarchies_;
  std::string top_;
  std::vector<std::string> made_;
  std::vector<pid_t> tasks_;
  std::string error_;
};

void BM_CgroupNetworkCost(benchmark::State& state) {
  NetworkNamespacesOnThisHost host;
  if (!host.error().empty()) {
    state.SkipWithError(host.error().c_str());
    return;
  }
  auto fs = NewRealHostFs({});
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  CgroupCollectorOptions options;
  options.docker_socket = "";
  options.path_include = "^" + host.top() + "(/|$)";
  options.network = false;
  auto without = *NewCgroupCollector({*fs, logger}, options);
  options.network = true;
  auto with = *NewCgroupCollector({*fs, logger}, options);
  double without_seconds = 0;
  double with_seconds = 0;
  size_t series = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<prometheus::MetricFamily> off;
    benchmark::DoNotOptimize(without->Collect(off));
    auto t1 = std::chrono::steady_clock::now();
    std::vector<prometheus::MetricFamily> on;
    benchmark::DoNotOptimize(with->Collect(on));
    auto t2 = std::chrono::steady_clock::now();
    without_seconds += std::chrono::duration<double>(t1 - t0).count();
    with_seconds += std::chrono::duration<double>(t2 - t1).count();
    series = 0;
    for (const auto& family : on) {
      if (family.name.rfind("strata_cgroup_network_", 0) == 0) series += family.metric.size();
    }
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["without_us"] = without_seconds / n * 1e6;
  state.counters["with_us"] = with_seconds / n * 1e6;
  state.counters["network_ratio"] = with_seconds / without_seconds;
  state.counters["network_series"] = static_cast<double>(series);
}
BENCHMARK(BM_CgroupNetworkCost)->Unit(benchmark::kMillisecond);

// A whole scrape as the HTTP handler runs it, both collectors: isolation
// threads, text serialisation and gzip on top of the collections.
void BM_ScrapeSerializeGzip(benchmark::State& state) {
  auto host_fs = FixtureFs("host/kvm-guest-qemu-dmi-synthesized");
  auto cgroup_fs = FixtureFs("cgroup/hybrid-firecracker-6.18");
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"host", HostCollector(*host_fs, logger)});
  collectors.push_back({"cgroup", CgroupCollectorOnEverything(*cgroup_fs, logger)});
  Scraper scraper(std::move(collectors), logger);
  for (auto _ : state) {
    auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(10));
    std::string text = TextExposition(*families);
    benchmark::DoNotOptimize(GzipCompress(text));
  }
}
BENCHMARK(BM_ScrapeSerializeGzip);

}  // namespace
}  // namespace strata
