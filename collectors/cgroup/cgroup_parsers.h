// Pure parsers for cgroup v1 and v2 interface files, in the formats of the
// kernel's cgroup-v1 and cgroup-v2 documentation. Each returns
// InvalidArgument, saying what is wrong, for text not in that format.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// "key value" per line (memory.stat, cpu.stat, memory.events,
// memory.oom_control). Every value must be an unsigned integer.
absl::StatusOr<std::map<std::string, uint64_t>> ParseFlatKeyed(absl::string_view text);

// A file holding one unsigned integer (memory.current, pids.current, ...).
absl::StatusOr<uint64_t> ParseSingleValue(absl::string_view text);

// A limit at or above this means "no limit": 2^64-1 (what a cgroup file
// holds when a tool wrote it meaning "unlimited"), v1's
// 9223372036854771712 (PAGE_COUNTER_MAX pages, the largest page-aligned
// signed 64-bit value) and the like. No host has 4 EiB of memory, and pids
// and CPU quotas are far smaller still.
inline constexpr uint64_t kNoLimitAtOrAbove = uint64_t{1} << 62;

// One integer or "max" (memory.max, pids.max, v1's memory.limit_in_bytes):
// nullopt means unlimited, for "max" and for any value of kNoLimitAtOrAbove
// or more.
absl::StatusOr<std::optional<uint64_t>> ParseMaxOrValue(absl::string_view text);

// A signed integer (cpu.cfs_quota_us, where -1 means unlimited).
absl::StatusOr<int64_t> ParseSignedValue(absl::string_view text);

// cpu.max: "$MAX $PERIOD"; quota nullopt when "max" or kNoLimitAtOrAbove or more.
struct CpuMax {
  std::optional<uint64_t> quota_us;
  uint64_t period_us = 100000;
};
absl::StatusOr<CpuMax> ParseCpuMax(absl::string_view text);

// Per-device IO counters, from v2 io.stat or v1 blkio.throttle.* files.
struct DeviceIo {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ios = 0;
  uint64_t write_ios = 0;
};

// v2 io.stat: "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0".
absl::StatusOr<std::vector<DeviceIo>> ParseIoStat(absl::string_view text);

// v1 blkio.throttle.io_service_bytes (or io_serviced): "8:0 Read 4096" lines
// and a closing "Total N". Fills read/write bytes, or read/write ios when
// `operations` is true, merged into `devices` by major:minor.
absl::Status ParseBlkioThrottle(absl::string_view text, bool operations,
                                std::vector<DeviceIo>& devices);

// PSI: "some avg10=0.00 avg60=0.00 avg300=0.00 total=123" and an optional
// "full ..." line; totals in microseconds.
struct Pressure {
  std::optional<uint64_t> some_total_us;
  std::optional<uint64_t> full_total_us;
};
absl::StatusOr<Pressure> ParsePressure(absl::string_view text);

// The kernel's mapping of v1 cpu.shares onto the v2 cpu.weight scale
// (kernel/sched/core.c): round(shares * 100 / 1024), clamped to [1, 10000].
double CpuSharesToWeight(uint64_t shares);

}  // namespace strata
