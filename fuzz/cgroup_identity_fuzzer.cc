// What a cgroup is from its path (identity.h). The seeds are the cgroup
// paths of the committed trees and PID 1's /proc/1/cgroup files.
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "collectors/cgroup/identity.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  const CgroupIdentity identity = IdentifyCgroup(input);
  static const std::set<std::string> kKinds = {"container", "pod", "service",
                                               "slice",     "vm",  "other"};
  STRATA_FUZZ_CHECK(kKinds.count(identity.kind) == 1);
  // The engine API is asked only about full ids: 64 lowercase hex digits.
  if (!identity.container_id.empty()) {
    STRATA_FUZZ_CHECK(identity.container_id.size() == 64);
    for (char c : identity.container_id) {
      STRATA_FUZZ_CHECK(absl::ascii_isxdigit(c) && !absl::ascii_isupper(c));
    }
  }
  // Unescaping never makes text longer.
  STRATA_FUZZ_CHECK(SystemdUnescape(input).size() <= input.size());
}

}  // namespace strata::fuzz
