// The exporter's own process metrics, read from /proc/self on every scrape.
// They describe the exporter, so they always come from the kernel's /proc and
// never from --path.procfs. Thread-safe: holds no mutable state.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/host_fs.h"
#include "prometheus/metric_family.h"

namespace strata {

// The fields of /proc/<pid>/stat that the process metrics need.
struct ProcStat {
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t starttime_ticks = 0;  // since boot
  uint64_t vsize_bytes = 0;
  int64_t rss_pages = 0;
};

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// The soft "Max open files" limit of /proc/<pid>/limits; "unlimited" is +Inf.
absl::StatusOr<double> ParseMaxOpenFiles(absl::string_view limits);

// "btime" of /proc/stat: boot time in seconds since the epoch.
absl::StatusOr<double> ParseBootTime(absl::string_view stat);

class ProcessMetrics {
 public:
  // `proc` reads the kernel's /proc (root "/proc" of HostRoot::kProc).
  explicit ProcessMetrics(const HostFs& proc);

  // Appends the process_* families; what cannot be read is left out and
  // reported in the returned status.
  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) const;

 private:
  const HostFs& proc_;
  const double clock_ticks_per_second_;
  const double page_size_bytes_;
};

}  // namespace strata
