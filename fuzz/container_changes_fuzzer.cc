// The bodies of a Docker-compatible engine's GET /containers/{id}/changes,
// /containers/{id}/json and /images/{id}/json (container_drift.h): changed
// paths become label values, and a change list may be enormous.
#include <cmath>

#include "collectors/cgroup/container_drift.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  DriftRules rules;
  rules.max_paths = 3;
  absl::StatusOr<ContainerDrift> drift = ParseContainerChanges(input, rules);
  if (drift.ok()) {
    STRATA_FUZZ_CHECK(drift->modified >= 0 && drift->added >= 0 && drift->deleted >= 0);
    STRATA_FUZZ_CHECK(drift->paths.size() <= 3);
    STRATA_FUZZ_CHECK(static_cast<int64_t>(drift->paths.size()) + drift->skipped ==
                      drift->drift_prefix_paths);
    STRATA_FUZZ_CHECK(drift->drift_prefix_paths <= drift->modified + drift->added + drift->deleted);
    for (const DriftedPath& path : drift->paths) {
      STRATA_FUZZ_CHECK_UTF8(path.path);
      STRATA_FUZZ_CHECK(PathIsUnder(path.path, "/etc"));
    }
  }
  for (auto parse : {&ParseContainerStartedAt, &ParseImageCreated}) {
    absl::StatusOr<std::optional<double>> time = parse(input);
    if (time.ok() && time->has_value()) STRATA_FUZZ_CHECK(std::isfinite(**time));
  }
}

}  // namespace strata::fuzz
