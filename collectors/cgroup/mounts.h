// Where the cgroup hierarchies are mounted, and so which cgroup mode the
// host runs: v1 (controllers on their own hierarchies), v2 (one unified
// hierarchy) or hybrid (v1 controllers plus a cgroup2 mount, systemd's
// "hybrid" layout).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/host_fs.h"

namespace strata {

enum class CgroupMode { kNone, kV1, kV2, kHybrid };
const char* CgroupModeName(CgroupMode mode);

// A hierarchy's mount point, relative to one of the injected roots.
struct HierarchyLocation {
  HostRoot root = HostRoot::kSys;
  std::string path;  // e.g. "fs/cgroup/memory" below --path.sysfs
  bool operator==(const HierarchyLocation& other) const {
    return root == other.root && path == other.path;
  }
};

struct CgroupMounts {
  CgroupMode mode = CgroupMode::kNone;
  // v1 controller name ("cpu", "memory", ...) to its hierarchy.
  std::map<std::string, HierarchyLocation> v1;
  std::optional<HierarchyLocation> unified;
};

// Reads the cgroup mounts from /proc/<pid>/mountinfo text. Mount points under
// /sys map to the sysfs root, others to the rootfs root. When a controller
// is mounted twice, the mount under /sys/fs/cgroup wins.
absl::StatusOr<CgroupMounts> ParseCgroupMounts(absl::string_view mountinfo);

}  // namespace strata
