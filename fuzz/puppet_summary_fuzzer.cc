// Puppet's last_run_summary.yaml (puppet_reports.h).
#include <cmath>

#include "collectors/puppet/puppet_reports.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<PuppetSummary> summary = ParsePuppetSummary(input);
  if (!summary.ok()) return;
  // Every value is a finite number; the parser refuses anything else.
  for (const auto* section : {&summary->resources, &summary->events, &summary->times}) {
    for (const auto& [key, value] : *section) STRATA_FUZZ_CHECK(std::isfinite(value));
  }
  STRATA_FUZZ_CHECK(std::isfinite(summary->last_run));
  if (summary->total_seconds.has_value()) STRATA_FUZZ_CHECK(std::isfinite(*summary->total_seconds));
  if (summary->changes.has_value()) STRATA_FUZZ_CHECK(std::isfinite(*summary->changes));
}

}  // namespace strata::fuzz
