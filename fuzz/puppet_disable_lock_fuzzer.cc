// Puppet's agent_disabled.lock (puppet_reports.h), whose message becomes a
// label value.
#include "collectors/puppet/puppet_reports.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<std::string> message = ParsePuppetDisableLock(input);
  if (!message.ok()) return;
  // The parser validates the encoding: the message is UTF-8, and so is any
  // cut of it for a label.
  STRATA_FUZZ_CHECK_UTF8(*message);
  for (size_t max_bytes : {0, 1, 2, 3, 7, 64, 255}) {
    const std::string cut = TruncateLabelValue(*message, max_bytes);
    STRATA_FUZZ_CHECK(cut.size() <= max_bytes || cut == *message);
    STRATA_FUZZ_CHECK_UTF8(cut);
  }
}

}  // namespace strata::fuzz
