#include "collectors/cfengine/cfengine_summary.h"

#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

constexpr absl::string_view kOutcome = ": Outcome of version ";
constexpr absl::string_view kKept = "): Promises observed to be kept ";
constexpr absl::string_view kRepaired = ", Promises repaired ";
constexpr absl::string_view kNotKept = ", Promises not repaired ";
constexpr absl::string_view kNotSpecified = "(not specified)";
constexpr size_t kQuoteChars = 120;

absl::Status Malformed(absl::string_view line, absl::string_view why) {
  std::string quoted(line.substr(0, kQuoteChars));
  if (line.size() > kQuoteChars) quoted += "...";
  return absl::InvalidArgumentError(
      absl::StrCat("not a cf-agent outcome line (", why, "): \"", quoted, "\""));
}

// "50.00%" -> 50.
bool ParsePercent(absl::string_view text, double* out) {
  if (!absl::ConsumeSuffix(&text, "%")) return false;
  double value;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) || value < 0 || value > 100) {
    return false;
  }
  *out = value;
  return true;
}

}  // namespace

absl::StatusOr<CfengineOutcome> ParseCfengineOutcomeLine(absl::string_view line) {
  CfengineOutcome outcome;
  const size_t outcome_at = line.find(kOutcome);
  if (outcome_at == absl::string_view::npos) return Malformed(line, "no \"Outcome of version\"");
  std::vector<absl::string_view> times = absl::StrSplit(line.substr(0, outcome_at), ',');
  if (times.size() != 2 || !absl::SimpleAtoi(times[0], &outcome.start_seconds) ||
      !absl::SimpleAtoi(times[1], &outcome.end_seconds) || outcome.start_seconds < 0 ||
      outcome.end_seconds < 0) {
    return Malformed(line, "start and end are not two times in seconds");
  }

  absl::string_view rest = line.substr(outcome_at + kOutcome.size());
  // The version is the policy author's free text and may hold " (" itself:
  // the agent tag is the last parenthesis before the shares.
  const size_t kept_at = rest.find(kKept);
  if (kept_at == absl::string_view::npos) return Malformed(line, "no promise shares");
  absl::string_view head = rest.substr(0, kept_at);
  const size_t agent_at = head.rfind(" (");
  if (agent_at == absl::string_view::npos) return Malformed(line, "no agent tag");
  absl::string_view version = head.substr(0, agent_at);
  if (version != kNotSpecified) outcome.policy_version = std::string(version);

  absl::string_view shares = rest.substr(kept_at + kKept.size());
  const size_t repaired_at = shares.find(kRepaired);
  const size_t not_kept_at = shares.find(kNotKept);
  if (repaired_at == absl::string_view::npos || not_kept_at == absl::string_view::npos ||
      not_kept_at < repaired_at) {
    return Malformed(line, "shares are not kept, repaired, not repaired");
  }
  absl::string_view kept = shares.substr(0, repaired_at);
  absl::string_view repaired =
      shares.substr(repaired_at + kRepaired.size(), not_kept_at - repaired_at - kRepaired.size());
  absl::string_view not_kept = shares.substr(not_kept_at + kNotKept.size());
  if (!ParsePercent(kept, &outcome.kept_percent) ||
      !ParsePercent(repaired, &outcome.repaired_percent) ||
      !ParsePercent(not_kept, &outcome.not_kept_percent)) {
    return Malformed(line, "a share is not a percentage from 0 to 100");
  }
  return outcome;
}

absl::StatusOr<std::optional<CfengineOutcome>> ParseCfengineSummaryTail(absl::string_view tail,
                                                                        bool whole_file) {
  const size_t window = tail.size();
  if (!whole_file) {
    const size_t newline = tail.find('\n');
    if (newline == absl::string_view::npos) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no line break in the last ", window, " bytes"));
    }
    tail.remove_prefix(newline + 1);
  }
  // The last non-empty line; a line break may still be missing after it.
  absl::string_view last;
  for (absl::string_view line : absl::StrSplit(tail, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (!line.empty()) last = line;
  }
  if (last.empty()) {
    if (!whole_file) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no complete line in the last ", window, " bytes"));
    }
    return std::nullopt;
  }
  absl::StatusOr<CfengineOutcome> outcome = ParseCfengineOutcomeLine(last);
  if (!outcome.ok()) return outcome.status();
  return *outcome;
}

}  // namespace strata
