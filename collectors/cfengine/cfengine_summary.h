// Parsing CFEngine's promise_summary.log. cf-agent appends one line at the
// end of every run that evaluated promises (LogTotalCompliance in
// libpromises; 3.21 prints the percentages with %.2f, older releases %.0f):
//
//   1795317929,1795317929: Outcome of version mixed 1.0 (agent-0): Promises
//   observed to be kept 0.00%, Promises repaired 50.00%, Promises not
//   repaired 50.00%
//
// (one line in the file): run start and end in seconds since the epoch, the
// policy's `version` from body common control ("(not specified)" without
// one), the number of background tasks, and the shares of the promises kept,
// repaired and not kept. Pure functions over text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

struct CfengineOutcome {
  int64_t start_seconds = 0;
  int64_t end_seconds = 0;
  std::string policy_version;  // empty when the policy sets none
  double kept_percent = 0;
  double repaired_percent = 0;
  double not_kept_percent = 0;
};

// One outcome line, without its line break. InvalidArgument, quoting the
// line, when it is not one.
absl::StatusOr<CfengineOutcome> ParseCfengineOutcomeLine(absl::string_view line);

// The last run in the end of the log: `tail` is the whole file when
// `whole_file`, else its last bytes, whose first line may be cut and is
// skipped. nullopt when the file holds no line at all (new, or emptied by
// log rotation). The last line must be an outcome line: a truncated or
// garbled last line is an error, not a reason to report an older run.
absl::StatusOr<std::optional<CfengineOutcome>> ParseCfengineSummaryTail(absl::string_view tail,
                                                                        bool whole_file);

}  // namespace strata
