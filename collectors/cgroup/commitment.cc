#include "collectors/cgroup/commitment.h"

namespace strata {
namespace {

// Whether `value` of the cgroup counts: it has one and no ancestor has one
// that bounds it.
template <typename Bounds>
bool IsTopmost(const std::map<std::string, CgroupAllocation>& cgroups, const std::string& path,
               const std::optional<double>& value, Bounds ancestor_bounds) {
  if (!value.has_value()) return false;
  for (const std::string& ancestor : CgroupAncestors(path)) {
    auto it = cgroups.find(ancestor);
    if (it != cgroups.end() && ancestor_bounds(it->second)) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> CgroupAncestors(absl::string_view path) {
  std::vector<std::string> ancestors;
  if (path.empty() || path == "/") return ancestors;
  ancestors.push_back("/");
  for (size_t slash = path.find('/', 1); slash != absl::string_view::npos;
       slash = path.find('/', slash + 1)) {
    ancestors.push_back(std::string(path.substr(0, slash)));
  }
  return ancestors;
}

CommitmentTotals TopmostTotals(const std::map<std::string, CgroupAllocation>& cgroups) {
  CommitmentTotals totals;
  for (const auto& [path, cgroup] : cgroups) {
    if (IsTopmost(cgroups, path, cgroup.cpu_limit_cores,
                  [](const CgroupAllocation& a) { return a.cpu_limit_cores.has_value(); })) {
      totals.cpu_limit_cores[cgroup.kind] += *cgroup.cpu_limit_cores;
    }
    if (IsTopmost(cgroups, path, cgroup.memory_limit_bytes, [](const CgroupAllocation& a) {
          return a.memory_limit_bytes.has_value() && a.memory_limit_covers_descendants;
        })) {
      totals.memory_limit_bytes[cgroup.kind] += *cgroup.memory_limit_bytes;
    }
    if (IsTopmost(cgroups, path, cgroup.cpu_request_cores,
                  [](const CgroupAllocation& a) { return a.cpu_request_cores.has_value(); })) {
      totals.cpu_request_cores[cgroup.kind] += *cgroup.cpu_request_cores;
    }
    if (IsTopmost(cgroups, path, cgroup.memory_request_bytes,
                  [](const CgroupAllocation& a) { return a.memory_request_bytes.has_value(); })) {
      totals.memory_request_bytes[cgroup.kind] += *cgroup.memory_request_bytes;
    }
  }
  return totals;
}

}  // namespace strata
