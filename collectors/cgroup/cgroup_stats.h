// Reading one cgroup's values from wherever the host's cgroup mode keeps
// them: the v2 unified hierarchy, the v1 controller hierarchies, or both
// (hybrid: v1 controllers, pressure from the unified hierarchy).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/host_fs.h"
#include "collectors/cgroup/cgroup_parsers.h"
#include "collectors/cgroup/kept_files.h"
#include "collectors/cgroup/mounts.h"

namespace strata {

// Values in base units; nullopt where this kernel or mode does not provide
// them, or where a limit is unlimited.
struct CgroupStats {
  std::optional<double> cpu_user_seconds;
  std::optional<double> cpu_system_seconds;
  std::optional<double> cpu_periods;
  std::optional<double> cpu_throttled_periods;
  std::optional<double> cpu_throttled_seconds;
  std::optional<double> cpu_limit_cores;
  std::optional<double> cpu_weight;
  std::optional<uint64_t> cpu_shares;  // v1 cpu.shares as written (cpu_weight is it mapped)

  std::optional<double> memory_usage_bytes;
  std::optional<double> memory_working_set_bytes;
  std::optional<double> memory_rss_bytes;
  std::optional<double> memory_cache_bytes;
  std::optional<double> memory_swap_bytes;
  std::optional<double> memory_limit_bytes;
  // False when v1 memory.use_hierarchy is 0: the limit then does not bound the
  // cgroup's descendants (possible before Linux 5.11 only).
  bool memory_limit_covers_descendants = true;
  // v2 memory protection; read only by ReadMemoryProtection.
  std::optional<uint64_t> memory_min_bytes;
  std::optional<uint64_t> memory_low_bytes;
  std::optional<double> memory_oom_events;
  std::optional<double> memory_oom_kills;

  std::vector<DeviceIo> io;

  std::optional<double> pids;
  std::optional<double> pids_limit;

  struct Psi {
    std::optional<double> waiting_seconds;  // "some"
    std::optional<double> stalled_seconds;  // "full"
  };
  Psi cpu_pressure;
  Psi memory_pressure;
  Psi io_pressure;
};

// What reading cgroup files keeps from one file to the next: one buffer,
// and the files kept open with --collector.cgroup.keep-files-open.
struct CgroupFileReader {
  std::string buffer;
  KeptFiles* kept = nullptr;
};

// Reads the cgroup at `path` ("/" or "/system.slice/x.service"). Returns
// NotFound when the cgroup no longer exists (it vanished since the walk).
// A file that exists but cannot be read or parsed leaves its values out and
// adds a line naming the file to `problems`. Files are read through
// `reader`, which the caller keeps from one cgroup to the next. Only files that can
// carry a value are read: the CFS period only under a quota, block I/O
// operations only when some device had bytes.
absl::StatusOr<CgroupStats> ReadCgroupStats(const HostFs& fs, const CgroupMounts& mounts,
                                            absl::string_view path,
                                            std::vector<std::string>& problems,
                                            CgroupFileReader& reader);

// Reads only what bounds and weighs the cgroup: the CPU and memory limits
// (with memory_limit_covers_descendants) and the CPU weight or shares. For
// ancestors of reported cgroups, whose limits bound them even when the
// ancestor itself is not reported. Errors as ReadCgroupStats.
absl::StatusOr<CgroupStats> ReadCgroupAllocation(const HostFs& fs, const CgroupMounts& mounts,
                                                 absl::string_view path,
                                                 std::vector<std::string>& problems);

// Adds v2 memory.min and memory.low to `stats` (where the memory controller
// is v2's: on v2 hosts; v1 has no such files). Absent files leave them unset;
// a broken one is added to `problems`.
void ReadMemoryProtection(const HostFs& fs, const CgroupMounts& mounts, absl::string_view path,
                          CgroupStats& stats, std::vector<std::string>& problems);

}  // namespace strata
