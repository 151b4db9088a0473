// The head and the tail of Puppet's last_run_report.yaml (puppet_reports.h):
// the head read as the whole file and as a prefix of a longer one, and
// matched with a summary; the tail read as the whole file and as the end of a
// longer one.
#include <cmath>

#include "collectors/puppet/puppet_reports.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<PuppetReportHead> whole = ParsePuppetReportHead(input, /*whole_file=*/true);
  absl::StatusOr<PuppetReportHead> prefix = ParsePuppetReportHead(input, /*whole_file=*/false);
  if (whole.ok()) {
    STRATA_FUZZ_CHECK(!whole->status.empty());
    if (whole->time.has_value()) STRATA_FUZZ_CHECK(std::isfinite(*whole->time));
    PuppetSummary summary;
    summary.config_version = whole->config_version;
    summary.last_run = whole->time.value_or(0);
    (void)PuppetReportMatchesSummary(*whole, summary);
  }
  // A head complete in a prefix is the head of the whole file: more bytes
  // after it cannot change it.
  if (prefix.ok()) {
    STRATA_FUZZ_CHECK(whole.ok());
    STRATA_FUZZ_CHECK(prefix->status == whole->status);
    STRATA_FUZZ_CHECK(prefix->time == whole->time);
    STRATA_FUZZ_CHECK(prefix->noop == whole->noop);
    STRATA_FUZZ_CHECK(prefix->noop_pending == whole->noop_pending);
    STRATA_FUZZ_CHECK(prefix->transaction_completed == whole->transaction_completed);
    STRATA_FUZZ_CHECK(prefix->config_version == whole->config_version);
    STRATA_FUZZ_CHECK(prefix->puppet_version == whole->puppet_version);
    STRATA_FUZZ_CHECK(prefix->environment == whole->environment);
  } else {
    STRATA_FUZZ_CHECK(absl::IsUnavailable(prefix.status()) ||
                      absl::IsInvalidArgument(prefix.status()));
  }

  absl::StatusOr<PuppetReportTail> whole_tail = ParsePuppetReportTail(input, /*whole_file=*/true);
  absl::StatusOr<PuppetReportTail> cut_tail = ParsePuppetReportTail(input, /*whole_file=*/false);
  if (!whole_tail.ok()) STRATA_FUZZ_CHECK(absl::IsInvalidArgument(whole_tail.status()));
  if (!cut_tail.ok()) STRATA_FUZZ_CHECK(absl::IsInvalidArgument(cut_tail.status()));
  // A status found in the tail, which lacks the first line, is the whole
  // file's: the last occurrence of the key is the same line in both.
  if (cut_tail.ok() && !cut_tail->cached_catalog_status.empty()) {
    STRATA_FUZZ_CHECK(whole_tail.ok());
    STRATA_FUZZ_CHECK(whole_tail->cached_catalog_status == cut_tail->cached_catalog_status);
  }
}

}  // namespace strata::fuzz
