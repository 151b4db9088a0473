// A Chef Infra Client json_file run report (chef_report.h).
#include <cmath>

#include "collectors/chef/chef_report.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<ChefRun> run = ParseChefRunReport(input);
  if (!run.ok()) return;
  // Strings come from the JSON, whose encoding the parser validates.
  STRATA_FUZZ_CHECK_UTF8(run->exception);
  STRATA_FUZZ_CHECK_UTF8(run->chef_version);
  if (run->elapsed_seconds.has_value()) {
    STRATA_FUZZ_CHECK(std::isfinite(*run->elapsed_seconds) && *run->elapsed_seconds >= 0);
  }
  for (const auto& count : {run->total_resources, run->updated_resources}) {
    if (count.has_value()) STRATA_FUZZ_CHECK(*count >= 0);
  }
}

}  // namespace strata::fuzz
