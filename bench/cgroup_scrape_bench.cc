// Cost of a cgroup-collector scrape of a captured hybrid host, against the
// floor of reading the same files without parsing or building metrics.
// Compare the two as a ratio; both run in the same process on the same data.
#include <benchmark/benchmark.h>

#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "collectors/cgroup/cgroup_collector.h"

namespace strata {
namespace {

const std::string kFixture =
    std::string(STRATA_SOURCE_DIR) + "/tests/fixtures/cgroup/hybrid-firecracker-6.18";

std::unique_ptr<HostFs> FixtureFs() {
  return NewRealHostFs({kFixture + "/proc", kFixture + "/sys", kFixture + "/rootfs"});
}

// Reads every file below `dir` (the fixture holds only what the collector reads).
void ReadTree(const HostFs& fs, const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> subdirs = fs.ListSubdirs(HostRoot::kSys, dir);
  absl::StatusOr<std::vector<std::string>> entries = fs.ListDir(HostRoot::kSys, dir);
  if (!subdirs.ok() || !entries.ok()) return;
  std::set<std::string> is_dir(subdirs->begin(), subdirs->end());
  for (const std::string& entry : *entries) {
    const std::string path = absl::StrCat(dir, "/", entry);
    if (is_dir.count(entry)) {
      ReadTree(fs, path);
    } else {
      benchmark::DoNotOptimize(fs.ReadFile(HostRoot::kSys, path));
    }
  }
}

void BM_ReadCgroupFilesFloor(benchmark::State& state) {
  auto fs = FixtureFs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(fs->ReadFile(HostRoot::kProc, "1/mountinfo"));
    ReadTree(*fs, "fs/cgroup");
  }
}
BENCHMARK(BM_ReadCgroupFilesFloor);

void BM_CgroupCollect(benchmark::State& state) {
  auto fs = FixtureFs();
  std::ostringstream log;
  Logger logger(LogLevel::kError, log);
  CgroupCollectorOptions options;
  options.docker_socket = "";
  // Everything, so the collector reads what the floor reads.
  options.path_exclude = "^$";
  auto collector = *NewCgroupCollector({*fs, logger}, options);
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> families;
    benchmark::DoNotOptimize(collector->Collect(families));
  }
}
BENCHMARK(BM_CgroupCollect);

}  // namespace
}  // namespace strata
