// ansible-playbook's json callback output, with ansible-pull's lines before
// it (ansible_results.h).
#include <cmath>

#include "collectors/ansible/ansible_results.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<AnsibleResults> results = ParseAnsibleResults(input);
  if (!results.ok()) return;
  // Host names come from the JSON, whose encoding the parser validates.
  for (const auto& [host, stats] : results->hosts) {
    STRATA_FUZZ_CHECK_UTF8(host);
    for (const auto& [key, count] : stats.counts) {
      STRATA_FUZZ_CHECK_UTF8(key);
      STRATA_FUZZ_CHECK(std::isfinite(count));
    }
  }
}

}  // namespace strata::fuzz
