#include "collectors/cgroup/walker.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

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

CgroupWalk WalkCgroups(const HostFs& fs, const std::vector<HierarchyLocation>& hierarchies,
                       int max_depth) {
  CgroupWalk walk;
  std::set<std::string> paths;
  std::set<std::string> vanished;
  for (const HierarchyLocation& hierarchy : hierarchies) {
    // Depth-first with an explicit stack: (cgroup path, depth).
    std::vector<std::pair<std::string, int>> stack = {{"/", 0}};
    while (!stack.empty()) {
      auto [path, depth] = std::move(stack.back());
      stack.pop_back();
      const std::string dir = path == "/" ? hierarchy.path : absl::StrCat(hierarchy.path, path);
      absl::StatusOr<std::vector<std::string>> children = fs.ListSubdirs(hierarchy.root, dir);
      if (!children.ok()) {
        if (path == "/") {
          walk.status.Update(children.status());
        } else if (absl::IsNotFound(children.status())) {
          vanished.insert(path);
        } else {
          walk.status.Update(children.status());
        }
        continue;
      }
      paths.insert(path);
      if (depth >= max_depth) continue;
      for (const std::string& child : *children) {
        stack.push_back({path == "/" ? "/" + child : absl::StrCat(path, "/", child), depth + 1});
      }
    }
  }
  walk.paths.assign(paths.begin(), paths.end());
  // Gone from one hierarchy but listed in another: not vanished.
  for (const std::string& path : vanished) walk.vanished += paths.count(path) == 0;
  return walk;
}

}  // namespace strata
