// Pure parsers for what the network I/O of a container is read from: a
// task's /proc/PID/net/dev, its /proc/PID/ns/net link, and the cgroup.procs
// file that names the task. Each returns InvalidArgument, saying what is
// wrong (never echoing the input's bytes), for text not in the kernel's
// format. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// One interface's line of /proc/net/dev, the counters the collector exports.
// receive_drops is what the kernel prints there: rx_dropped plus
// rx_missed_errors.
struct NetDevCounters {
  std::string interface;  // as the kernel names it: up to 15 bytes, any but '/', ':', whitespace
  uint64_t receive_bytes = 0;
  uint64_t receive_packets = 0;
  uint64_t receive_errors = 0;
  uint64_t receive_drops = 0;
  uint64_t transmit_bytes = 0;
  uint64_t transmit_packets = 0;
  uint64_t transmit_errors = 0;
  uint64_t transmit_drops = 0;
};

// Longest interface name the kernel allows (IFNAMSIZ - 1).
inline constexpr size_t kMaxInterfaceNameBytes = 15;

// /proc/net/dev: two header lines naming the Receive and Transmit columns,
// then "NAME: v1 v2 ..." per interface, in the kernel's order. The columns
// are found by their names in the header, so the file must have both header
// lines with "bytes packets errs drop" among each direction's columns, and
// every interface line exactly as many unsigned integers as the header has
// columns. A name that is empty, longer than kMaxInterfaceNameBytes, holds
// whitespace, or repeats is an error, as is any other line.
absl::StatusOr<std::vector<NetDevCounters>> ParseNetDev(absl::string_view text);

// The target of a /proc/PID/ns/net link, "net:[4026531840]": the inode of
// the network namespace.
absl::StatusOr<uint64_t> ParseNetNamespaceLink(absl::string_view target);

// The first PID of a cgroup.procs (or v1 tasks) file, one decimal PID per
// line; nullopt for an empty file (a cgroup without tasks). Only the first
// line is looked at, so a prefix of a long file is enough.
absl::StatusOr<std::optional<int>> ParseFirstPid(absl::string_view text);

}  // namespace strata
