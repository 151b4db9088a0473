#include "collectors/cgroup/walker.h"

#include <algorithm>

namespace strata {

std::vector<HierarchyLocation> HierarchiesToWalk(const CgroupMounts& mounts) {
  std::vector<HierarchyLocation> hierarchies;
  auto add = [&](const HierarchyLocation& location) {
    if (std::find(hierarchies.begin(), hierarchies.end(), location) == hierarchies.end()) {
      hierarchies.push_back(location);
    }
  };
  if (mounts.mode == CgroupMode::kV2) {
    add(*mounts.unified);
    return hierarchies;
  }
  for (const char* controller : {"cpu", "cpuacct", "memory", "blkio", "pids"}) {
    auto it = mounts.v1.find(controller);
    if (it != mounts.v1.end()) add(it->second);
  }
  if (mounts.unified.has_value()) add(*mounts.unified);
  return hierarchies;
}

}  // namespace strata
