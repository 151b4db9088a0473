// Adding up the limits and requests of a host's cgroups so that each counts
// once. A cgroup's value of one resource counts toward the host's total only
// when none of its ancestors has a value of that resource: the topmost value
// of each branch bounds (or, for requests, already includes) everything below
// it. It counts under the kind of that topmost cgroup, so the sum over kinds
// is the host's total. Pure functions; thread-safe.
//
// cgroup v1 keeps cpu and memory in separate hierarchies; the same path in
// each is treated as one cgroup here, and each resource looks only at
// ancestors' values of that resource, so a v1 memory limit is bounded by
// ancestors in the memory hierarchy and a CPU limit by those in the cpu one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata {

// What bounds or reserves one cgroup; unset where it has none.
struct CgroupAllocation {
  std::string kind;  // as IdentifyCgroup says
  std::optional<double> cpu_limit_cores;
  std::optional<double> memory_limit_bytes;
  // False for a v1 memory limit with memory.use_hierarchy 0: it then bounds
  // only the cgroup itself, not its descendants.
  bool memory_limit_covers_descendants = true;
  std::optional<double> cpu_request_cores;
  std::optional<double> memory_request_bytes;
};

// Host totals by kind of the topmost value of each branch.
struct CommitmentTotals {
  std::map<std::string, double> cpu_limit_cores;
  std::map<std::string, double> memory_limit_bytes;
  std::map<std::string, double> cpu_request_cores;
  std::map<std::string, double> memory_request_bytes;
};

// `cgroups` by path ("/", "/a", "/a/b"). A path's ancestors are looked up by
// its prefixes; an ancestor missing from the map is taken to have no values,
// so the caller includes every ancestor of every cgroup it counts.
CommitmentTotals TopmostTotals(const std::map<std::string, CgroupAllocation>& cgroups);

// The proper ancestors of `path`, root first: "/a/b/c" -> "/", "/a", "/a/b".
std::vector<std::string> CgroupAncestors(absl::string_view path);

}  // namespace strata
