// Finds the cgroups of the host: the union of the directories of every
// mounted hierarchy, down to a depth limit.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/host_fs.h"
#include "collectors/cgroup/mounts.h"

namespace strata {

struct CgroupWalk {
  std::vector<std::string> paths;  // "/", "/system.slice", ...: sorted, unique
  int vanished = 0;                // directories removed while walking
  absl::Status status;             // a hierarchy that could not be listed at all
};

// Depth 0 is the root cgroup "/"; "/system.slice" is depth 1.
CgroupWalk WalkCgroups(const HostFs& fs, const std::vector<HierarchyLocation>& hierarchies,
                       int max_depth);

// The hierarchies the mode reads values from, without duplicates.
std::vector<HierarchyLocation> HierarchiesToWalk(const CgroupMounts& mounts);

}  // namespace strata
