// dpkg-query -W output used as a package baseline (drift_baselines.h), and
// its comparison with the packages it lists.
#include <string>
#include <vector>

#include "collectors/drift/drift_baselines.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<PackageBaseline> baseline = ParsePackageBaseline(input);
  if (!baseline.ok()) return;
  for (size_t i = 1; i < baseline->packages.size(); ++i) {
    STRATA_FUZZ_CHECK(baseline->packages[i - 1].first < baseline->packages[i].first);
  }
  for (const auto& [name, version] : baseline->packages) {
    STRATA_FUZZ_CHECK(!name.empty() && !version.empty());
  }
  // Compared with itself installed, nothing drifts.
  std::vector<InstalledPackage> installed;
  for (const auto& [name, version] : baseline->packages) {
    installed.push_back({name, name.substr(0, name.find(':')), "amd64", version});
  }
  const PackageComparison same = ComparePackages(*baseline, installed);
  STRATA_FUZZ_CHECK(same.matching == static_cast<int>(baseline->packages.size()));
  STRATA_FUZZ_CHECK(same.drifted.empty());
  // Compared with nothing installed, everything is missing.
  const PackageComparison none = ComparePackages(*baseline, {});
  STRATA_FUZZ_CHECK(none.missing == static_cast<int>(baseline->packages.size()));
}

}  // namespace strata::fuzz
