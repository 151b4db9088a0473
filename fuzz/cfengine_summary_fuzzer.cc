// CFEngine's promise_summary.log (cfengine_summary.h): one outcome line, and
// the last run in the end of the log, read whole and as a tail.
#include <cmath>
#include <optional>

#include "collectors/cfengine/cfengine_summary.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {
namespace {

void CheckOutcome(const CfengineOutcome& outcome) {
  STRATA_FUZZ_CHECK(outcome.start_seconds >= 0 && outcome.end_seconds >= 0);
  for (double share : {outcome.kept_percent, outcome.repaired_percent, outcome.not_kept_percent}) {
    STRATA_FUZZ_CHECK(std::isfinite(share) && share >= 0 && share <= 100);
  }
}

}  // namespace

void FuzzOne(absl::string_view input) {
  absl::StatusOr<CfengineOutcome> line = ParseCfengineOutcomeLine(input);
  if (line.ok()) CheckOutcome(*line);
  for (bool whole_file : {true, false}) {
    absl::StatusOr<std::optional<CfengineOutcome>> last =
        ParseCfengineSummaryTail(input, whole_file);
    if (last.ok() && last->has_value()) CheckOutcome(**last);
  }
}

}  // namespace strata::fuzz
