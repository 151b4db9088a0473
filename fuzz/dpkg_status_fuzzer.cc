// dpkg's status database, /var/lib/dpkg/status (drift_baselines.h).
#include <vector>

#include "collectors/drift/drift_baselines.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<std::vector<InstalledPackage>> packages = ParseDpkgStatus(input);
  if (!packages.ok()) return;
  for (size_t i = 0; i < packages->size(); ++i) {
    const InstalledPackage& package = (*packages)[i];
    STRATA_FUZZ_CHECK(!package.name.empty() && !package.package.empty());
    STRATA_FUZZ_CHECK(!package.version.empty());
    if (i > 0) STRATA_FUZZ_CHECK((*packages)[i - 1].name <= package.name);
  }
}

}  // namespace strata::fuzz
