// The naive read floor of bench/compare: open, read to the end and close
// each file of a list once per pass, and nothing else (no directory walk, no
// parsing, no output). bench/compare builds it with g++ -O2 and feeds it the
// files the exporter opened during one scrape (from strace), so the exporter's
// CPU per scrape can be put against the cheapest way to read the same bytes
// with the same system calls a naive reader makes.
//
//   naive_floor LIST PASSES
//
// LIST holds one absolute path a line. After one warm-up pass, PASSES passes
// are timed; prints one JSON object: files, passes, CPU (user + system) and
// wall time per pass in milliseconds, system calls and bytes per pass, and
// how many files failed to open. Single-threaded; exits 2 on bad usage.
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct PassCount {
  long syscalls = 0;
  long bytes = 0;
  long failed = 0;
};

PassCount ReadAll(const std::vector<std::string>& files) {
  static char buffer[1 << 16];
  PassCount count;
  for (const std::string& path : files) {
    ++count.syscalls;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ++count.failed;
      continue;
    }
    for (;;) {
      ++count.syscalls;
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      count.bytes += n;
    }
    ++count.syscalls;
    close(fd);
  }
  return count;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

double WallSeconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: naive_floor LIST PASSES\n");
    return 2;
  }
  std::vector<std::string> files;
  std::ifstream list(argv[1]);
  for (std::string line; std::getline(list, line);) {
    if (!line.empty()) files.push_back(line);
  }
  const long passes = std::strtol(argv[2], nullptr, 10);
  if (passes < 1) {
    std::fprintf(stderr, "naive_floor: PASSES must be at least 1\n");
    return 2;
  }
  ReadAll(files);  // warm-up: dentries and inodes in the cache, as for a running exporter
  PassCount last;
  const double cpu_start = CpuSeconds();
  const double wall_start = WallSeconds();
  for (long i = 0; i < passes; ++i) last = ReadAll(files);
  const double cpu = CpuSeconds() - cpu_start;
  const double wall = WallSeconds() - wall_start;
  std::printf(
      "{\"files\": %zu, \"passes\": %ld, \"cpu_ms_per_pass\": %.3f, \"wall_ms_per_pass\": %.3f, "
      "\"syscalls_per_pass\": %ld, \"bytes_per_pass\": %ld, \"failed\": %ld}\n",
      files.size(), passes, cpu * 1000 / passes, wall * 1000 / passes, last.syscalls, last.bytes,
      last.failed);
  return 0;
}
