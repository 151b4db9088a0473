// The body of a Docker-compatible engine's GET /containers/json
// (docker_api.h), whose names, images and labels become label values.
#include "collectors/cgroup/docker_api.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<std::vector<EngineContainer>> containers = ParseContainerList(input);
  if (!containers.ok()) return;
  // The parser validates the encoding, so that these can be label values.
  for (const EngineContainer& container : *containers) {
    STRATA_FUZZ_CHECK_UTF8(container.id);
    STRATA_FUZZ_CHECK_UTF8(container.name);
    STRATA_FUZZ_CHECK_UTF8(container.image);
    STRATA_FUZZ_CHECK_UTF8(container.image_id);
    for (const auto& [key, value] : container.labels) {
      STRATA_FUZZ_CHECK_UTF8(key);
      STRATA_FUZZ_CHECK_UTF8(value);
    }
  }
}

}  // namespace strata::fuzz
