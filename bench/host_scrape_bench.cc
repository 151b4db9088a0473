// Cost of a host-collector scrape, against the floor of merely reading the
// same files. Report the ratio collect/floor, not absolute times: both are
// measured in the same run on the same machine.
//
//   build/bench/strata_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <sstream>

#include "collectors/host/host_collector.h"
#include "exporter/gzip.h"
#include "exporter/scraper.h"
#include "prometheus/text_serializer.h"

namespace strata {
namespace {

const std::string kFixture =
    std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/host/kvm-guest-qemu-dmi-synthesized";

std::unique_ptr<HostFs> FixtureFs() {
  return NewRealHostFs({kFixture + "/proc", kFixture + "/sys", kFixture + "/rootfs"});
}

// Floor: the same file system calls the host collector makes (read what it
// reads, stat what it only tests for), with no parsing or classification.
void BM_ReadHostFilesFloor(benchmark::State& state) {
  auto fs = FixtureFs();
  struct Access {
    HostRoot root;
    const char* path;
    bool stat_only = false;
  };
  const Access files[] = {
      {HostRoot::kSys, "class/dmi/id/product_name"},
      {HostRoot::kSys, "class/dmi/id/sys_vendor"},
      {HostRoot::kSys, "class/dmi/id/board_vendor"},
      {HostRoot::kSys, "class/dmi/id/bios_vendor"},
      {HostRoot::kSys, "class/dmi/id/product_version"},
      {HostRoot::kProc, "cpuinfo"},
      {HostRoot::kSys, "devices/system/clocksource/clocksource0/available_clocksource"},
      {HostRoot::kSys, "hypervisor/type"},
      {HostRoot::kProc, "xen", true},
      {HostRoot::kSys, "hypervisor/properties/features"},
      {HostRoot::kProc, "vz", true},
      {HostRoot::kProc, "bc", true},
      {HostRoot::kProc, "sys/kernel/osrelease"},
      {HostRoot::kProc, "sys/fs/binfmt_misc/WSLInterop", true},
      {HostRoot::kRootfs, "run/host/container-manager"},
      {HostRoot::kRootfs, "run/systemd/container"},
      {HostRoot::kProc, "1/environ"},
      {HostRoot::kRootfs, ".dockerenv", true},
      {HostRoot::kRootfs, "run/.containerenv", true},
      {HostRoot::kProc, "1/cgroup"},
      {HostRoot::kSys, "devices/system/cpu/online"},
      {HostRoot::kProc, "meminfo"},
      {HostRoot::kProc, "stat"},
  };
  for (auto _ : state) {
    for (const Access& file : files) {
      if (file.stat_only) {
        benchmark::DoNotOptimize(fs->Exists(file.root, file.path));
      } else {
        benchmark::DoNotOptimize(fs->ReadFile(file.root, file.path));
      }
    }
  }
}
BENCHMARK(BM_ReadHostFilesFloor);

void BM_HostCollect(benchmark::State& state) {
  auto fs = FixtureFs();
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  auto collector = *NewHostCollectorModule()->Create({*fs, logger});
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> families;
    benchmark::DoNotOptimize(collector->Collect(families));
  }
}
BENCHMARK(BM_HostCollect);

// A whole scrape as the HTTP handler runs it: isolation threads, text
// serialisation and gzip.
void BM_ScrapeSerializeGzip(benchmark::State& state) {
  auto fs = FixtureFs();
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"host", *NewHostCollectorModule()->Create({*fs, logger})});
  Scraper scraper(std::move(collectors), logger);
  for (auto _ : state) {
    auto families = scraper.Scrape({}, absl::Now() + absl::Seconds(10));
    std::string text = prometheus::TextSerializer().Serialize(*families);
    benchmark::DoNotOptimize(GzipCompress(text));
  }
}
BENCHMARK(BM_ScrapeSerializeGzip);

}  // namespace
}  // namespace strata
