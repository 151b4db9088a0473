// Pure parsers for the procfs and sysfs files the host collector reads.
// Each takes the file's text and returns InvalidArgument, naming what was
// wrong, when the text is not in the kernel's format.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// The kernel's USER_HZ, the unit of /proc/stat times on every architecture.
inline constexpr double kUserHz = 100.0;

// Number of CPUs in a kernel cpu list such as "0-3,8,10-11\n".
absl::StatusOr<int> ParseCpuListCount(absl::string_view text);

// MemTotal from /proc/meminfo, in bytes.
absl::StatusOr<double> ParseMemTotalBytes(absl::string_view meminfo);

// Steal time of the aggregate "cpu" line of /proc/stat, in seconds. Kernels
// older than 2.6.11 have no steal column; that is reported as 0.
absl::StatusOr<double> ParseStealSeconds(absl::string_view stat);

// Whether the first "flags" line of /proc/cpuinfo has the "hypervisor" flag,
// which the CPU sets when running under a hypervisor (CPUID leaf 1, ECX bit 31).
bool CpuinfoHasHypervisorFlag(absl::string_view cpuinfo);

}  // namespace strata
