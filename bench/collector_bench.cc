// Cost of one collection per collector on a captured fixture, against the
// floor of replaying the same file system calls without parsing (see
// recorded_reads.h). scripts/run-bench prints each collector as a ratio to
// its floor; absolute times depend on the machine and are not compared.
#include <benchmark/benchmark.h>

#include <sstream>

#include "bench/recorded_reads.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/host/host_collector.h"
#include "exporter/gzip.h"
#include "exporter/scraper.h"
#include "prometheus/text_serializer.h"

namespace strata {
namespace {

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
    std::string text = prometheus::TextSerializer().Serialize(*families);
    benchmark::DoNotOptimize(GzipCompress(text));
  }
}
BENCHMARK(BM_ScrapeSerializeGzip);

}  // namespace
}  // namespace strata
