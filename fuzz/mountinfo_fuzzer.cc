// /proc/<pid>/mountinfo, for where the cgroup hierarchies are (mounts.h).
#include "collectors/cgroup/mounts.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(input);
  if (!mounts.ok()) return;
  // The mode follows from what was found.
  switch (mounts->mode) {
    case CgroupMode::kNone:
      STRATA_FUZZ_CHECK(mounts->v1.empty() && !mounts->unified.has_value());
      break;
    case CgroupMode::kV1:
      STRATA_FUZZ_CHECK(!mounts->v1.empty() && !mounts->unified.has_value());
      break;
    case CgroupMode::kV2:
      STRATA_FUZZ_CHECK(mounts->v1.empty() && mounts->unified.has_value());
      break;
    case CgroupMode::kHybrid:
      STRATA_FUZZ_CHECK(!mounts->v1.empty() && mounts->unified.has_value());
      break;
  }
  STRATA_FUZZ_CHECK(CgroupModeName(mounts->mode) != nullptr);
}

}  // namespace strata::fuzz
