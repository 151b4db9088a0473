// Which hierarchies hold the host's cgroups, and what listing them found
// (CgroupTree lists them and keeps the list true).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/host_fs.h"
#include "collectors/cgroup/mounts.h"

namespace strata {

struct CgroupWalk {
  std::vector<std::string> paths;  // "/", "/system.slice", ...: sorted, unique
  int vanished = 0;                // directories removed while being listed
  absl::Status status;             // a hierarchy that could not be listed at all
};

// The hierarchies the mode reads values from, without duplicates.
std::vector<HierarchyLocation> HierarchiesToWalk(const CgroupMounts& mounts);

}  // namespace strata
