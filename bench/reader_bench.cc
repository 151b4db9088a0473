// Cost of reading cgroup files, per file, on real cgroups of this kernel:
// HostFs::ReadFile (open, fstat, read to the end, close), ReadSmallFile (open,
// one read, close: what the cgroup collector does), KeptFiles (one pread of a
// kept descriptor: --collector.cgroup.keep-files-open), and the naive floor
// (open, read, close with libc, nothing else). The benchmark makes 200
// cgroups in the v1 memory and pids hierarchies and removes them; without
// them (not root, no v1 hierarchy) it skips. scripts/run-bench prints each
// as a ratio against the floor measured in the same run.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/host_fs.h"
#include "collectors/cgroup/kept_files.h"

namespace strata {
namespace {

constexpr int kCgroups = 200;
constexpr const char* kFiles[][2] = {{"memory", "memory.stat"},
                                     {"memory", "memory.usage_in_bytes"},
                                     {"memory", "memory.limit_in_bytes"},
                                     {"pids", "pids.current"},
                                     {"pids", "pids.max"}};

// The cgroups, made for the benchmark's run and removed after it.
class BenchCgroups {
 public:
  BenchCgroups() {
    for (const char* hierarchy : {"memory", "pids"}) {
      for (int i = 0; i < kCgroups; ++i) {
        const std::string dir =
            absl::StrCat("/sys/fs/cgroup/", hierarchy, "/strata-reader-bench-", getpid(), "-", i);
        if (mkdir(dir.c_str(), 0755) != 0) return;
        dirs_.push_back(dir);
      }
    }
    for (int i = 0; i < kCgroups; ++i) {
      for (const auto& [hierarchy, file] : kFiles) {
        files_.push_back(absl::StrCat("fs/cgroup/", hierarchy, "/strata-reader-bench-", getpid(),
                                      "-", i, "/", file));
      }
    }
    ok_ = dirs_.size() == 2 * kCgroups;
  }
  ~BenchCgroups() {
    for (auto dir = dirs_.rbegin(); dir != dirs_.rend(); ++dir) rmdir(dir->c_str());
  }
  bool ok() const { return ok_; }
  // Below --path.sysfs ("fs/cgroup/memory/.../memory.stat").
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::vector<std::string> dirs_;
  std::vector<std::string> files_;
  bool ok_ = false;
};

template <typename ReadAll>
void Run(benchmark::State& state, ReadAll read_all) {
  BenchCgroups cgroups;
  if (!cgroups.ok()) {
    state.SkipWithError("needs root and the v1 memory and pids hierarchies");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(read_all(cgroups.files()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(cgroups.files().size()));
}

void BM_ReadCgroupFiles_Floor(benchmark::State& state) {
  char buffer[16384];
  Run(state, [&](const std::vector<std::string>& files) {
    size_t bytes = 0;
    for (const std::string& file : files) {
      const int fd = open(("/sys/" + file).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      bytes += n > 0 ? static_cast<size_t>(n) : 0;
      close(fd);
    }
    return bytes;
  });
}
BENCHMARK(BM_ReadCgroupFiles_Floor)->MeasureProcessCPUTime()->UseRealTime();

void BM_ReadCgroupFiles_ReadFile(benchmark::State& state) {
  std::unique_ptr<HostFs> fs = NewRealHostFs({});
  Run(state, [&](const std::vector<std::string>& files) {
    size_t bytes = 0;
    for (const std::string& file : files) {
      absl::StatusOr<std::string> text = fs->ReadFile(HostRoot::kSys, file);
      if (text.ok()) bytes += text->size();
    }
    return bytes;
  });
}
BENCHMARK(BM_ReadCgroupFiles_ReadFile)->MeasureProcessCPUTime()->UseRealTime();

void BM_ReadCgroupFiles_ReadSmallFile(benchmark::State& state) {
  std::unique_ptr<HostFs> fs = NewRealHostFs({});
  std::string buffer;
  Run(state, [&](const std::vector<std::string>& files) {
    size_t bytes = 0;
    for (const std::string& file : files) {
      absl::StatusOr<absl::string_view> text = fs->ReadSmallFile(HostRoot::kSys, file, buffer);
      if (text.ok()) bytes += text->size();
    }
    return bytes;
  });
}
BENCHMARK(BM_ReadCgroupFiles_ReadSmallFile)->MeasureProcessCPUTime()->UseRealTime();

void BM_ReadCgroupFiles_KeptFiles(benchmark::State& state) {
  std::unique_ptr<HostFs> fs = NewRealHostFs({});
  KeptFiles kept(*fs, 1 << 20);
  std::string buffer;
  Run(state, [&](const std::vector<std::string>& files) {
    size_t bytes = 0;
    for (const std::string& file : files) {
      absl::StatusOr<absl::string_view> text = kept.Read(HostRoot::kSys, file, buffer);
      if (text.ok()) bytes += text->size();
    }
    kept.EndScrape();
    return bytes;
  });
}
BENCHMARK(BM_ReadCgroupFiles_KeptFiles)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace strata
