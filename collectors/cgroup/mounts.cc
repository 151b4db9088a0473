#include "collectors/cgroup/mounts.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

// Controllers a v1 cgroup mount can carry in its super options.
constexpr const char* kV1Controllers[] = {
    "cpu",     "cpuacct", "cpuset",   "memory",     "blkio",   "pids", "devices",
    "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc",
};

// mountinfo escapes space, tab, newline and backslash as octal.
std::string UnescapeOctal(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      bool octal = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = text[i + j];
        if (c < '0' || c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

HierarchyLocation LocationOf(absl::string_view mount_point) {
  absl::string_view rest = mount_point;
  if (absl::ConsumePrefix(&rest, "/sys/") || rest == "/sys") {
    return {HostRoot::kSys, std::string(absl::StripPrefix(rest, "/sys"))};
  }
  return {HostRoot::kRootfs, std::string(absl::StripPrefix(mount_point, "/"))};
}

bool Preferred(absl::string_view mount_point) {
  return mount_point == "/sys/fs/cgroup" || absl::StartsWith(mount_point, "/sys/fs/cgroup/");
}

}  // namespace

const char* CgroupModeName(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kNone:
      return "none";
    case CgroupMode::kV1:
      return "v1";
    case CgroupMode::kV2:
      return "v2";
    case CgroupMode::kHybrid:
      return "hybrid";
  }
  return "none";
}

absl::StatusOr<CgroupMounts> ParseCgroupMounts(absl::string_view mountinfo) {
  CgroupMounts mounts;
  std::map<std::string, std::string> v1_mount_points;
  std::string unified_mount_point;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipWhitespace())) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    // Single spaces separate fields, and a field may be empty (a mount with no source).
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    auto separator = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 7 || separator == fields.end() || fields.end() - separator < 4) {
      return absl::InvalidArgumentError(absl::StrCat("bad mountinfo line \"", line, "\""));
    }
    absl::string_view fstype = *(separator + 1);
    absl::string_view super_options = *(separator + 3);
    const std::string mount_point = UnescapeOctal(fields[4]);
    if (fstype == "cgroup2") {
      if (!mounts.unified.has_value() ||
          (Preferred(mount_point) && !Preferred(unified_mount_point))) {
        mounts.unified = LocationOf(mount_point);
        unified_mount_point = mount_point;
      }
    } else if (fstype == "cgroup") {
      for (absl::string_view option : absl::StrSplit(super_options, ',')) {
        for (const char* controller : kV1Controllers) {
          if (option != controller) continue;
          auto known = v1_mount_points.find(controller);
          if (known == v1_mount_points.end() ||
              (Preferred(mount_point) && !Preferred(known->second))) {
            mounts.v1[controller] = LocationOf(mount_point);
            v1_mount_points[controller] = mount_point;
          }
        }
      }
    }
  }
  const bool v1 = !mounts.v1.empty();
  const bool v2 = mounts.unified.has_value();
  mounts.mode = v1 && v2 ? CgroupMode::kHybrid
                : v1     ? CgroupMode::kV1
                : v2     ? CgroupMode::kV2
                         : CgroupMode::kNone;
  return mounts;
}

}  // namespace strata
