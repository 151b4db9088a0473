// Pure parsers for the procfs and sysfs files the host collector reads.
// Each takes the file's text and returns InvalidArgument, naming what was
// wrong, when the text is not in the kernel's format.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// The kernel's USER_HZ, the unit of /proc/stat times on every architecture.
inline constexpr double kUserHz = 100.0;

// Number of CPUs in a kernel cpu list such as "0-3,8,10-11\n".
absl::StatusOr<int> ParseCpuListCount(absl::string_view text);

// MemTotal from /proc/meminfo, in bytes.
absl::StatusOr<double> ParseMemTotalBytes(absl::string_view meminfo);

// MemAvailable from /proc/meminfo, in bytes: the kernel's estimate of how much
// memory can be given to new work without swapping (free memory plus the page
// cache and reclaimable slab it can drop). nullopt on kernels before 3.14,
// which do not write the line; a line whose value is not a number is
// InvalidArgument.
absl::StatusOr<std::optional<double>> ParseMemAvailableBytes(absl::string_view meminfo);

// Steal time of the aggregate "cpu" line of /proc/stat, in seconds. Kernels
// older than 2.6.11 have no steal column; that is reported as 0.
absl::StatusOr<double> ParseStealSeconds(absl::string_view stat);

// The CPU modes of the aggregate "cpu" line of /proc/stat, in its column
// order. guest and guest_nice (columns 9 and 10) are left out: the kernel
// already counts guest time in user and guest_nice time in nice.
inline constexpr std::array<const char*, 8> kCpuModes = {"user",   "nice", "system",  "idle",
                                                         "iowait", "irq",  "softirq", "steal"};

// CPU time by mode, summed over CPUs, in seconds: one entry per mode of
// kCpuModes the line has, in that order. Kernels write at least four columns
// (user nice system idle); iowait, irq and softirq came in 2.5.41 and steal in
// 2.6.11, and a kernel without them gives fewer entries. No aggregate line,
// fewer than four columns or a column that is not a whole number is
// InvalidArgument.
struct CpuModeSeconds {
  const char* mode;
  double seconds;
};
absl::StatusOr<std::vector<CpuModeSeconds>> ParseCpuModeSeconds(absl::string_view stat);

// Whether the first "flags" line of /proc/cpuinfo has the "hypervisor" flag,
// which the CPU sets when running under a hypervisor (CPUID leaf 1, ECX bit 31).
bool CpuinfoHasHypervisorFlag(absl::string_view cpuinfo);

}  // namespace strata
