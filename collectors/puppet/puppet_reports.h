// Parsers for the files a Puppet agent leaves on its host: the last run's
// summary (last_run_summary.yaml), the head and the tail of the last run's
// report (last_run_report.yaml) and the disable lock (agent_disabled.lock). Pure
// functions over text; errors are InvalidArgument and say what was wrong,
// without the file's path (the caller adds it).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// Everything last_run_summary.yaml holds. Puppet writes it with the number of
// each key its run counted; sections a run did not reach are absent.
struct PuppetSummary {
  std::string config_version;  // version.config; empty when null
  std::string puppet_version;  // version.puppet
  std::string environment;     // application.converged_environment
  // The sections' keys and values in file order.
  std::vector<std::pair<std::string, double>> resources;
  std::vector<std::pair<std::string, double>> events;
  // time, without its total and last_run.
  std::vector<std::pair<std::string, double>> times;
  std::optional<double> total_seconds;  // time.total: the whole run
  double last_run = 0;                  // time.last_run: when the summary was written
  std::optional<double> changes;        // changes.total
};

// Parses the summary. It must be a mapping with time.last_run (Puppet always
// writes it); every value of resources, events, changes and time must be a
// number. Hostile input is refused (InvalidArgument starting "refused:")
// before the tree is built: more than 10,000 nodes, collections nested more
// than 32 deep, or more than 16,384 "[" or "{" (which yaml-cpp's scanner
// would buffer), so memory per parse stays a few MB whatever the file holds.
absl::StatusOr<PuppetSummary> ParsePuppetSummary(absl::string_view text);

// The keys at the top of last_run_report.yaml, which Puppet (7.23, and 5.x
// alike) writes before the large logs, metrics and resource_statuses.
struct PuppetReportHead {
  std::optional<double> time;  // when the run started, seconds since the epoch
  std::string status;          // changed, unchanged or failed
  // Whether the transaction ran to its end; false when Puppet stopped it
  // (a resource that could not be generated, a signal), which also fails the
  // run.
  std::optional<bool> transaction_completed;
  std::optional<bool> noop;
  std::optional<bool> noop_pending;
  std::string config_version;
  std::string puppet_version;
  std::string environment;
};

// Parses the head of a report with yaml-cpp's event parser, which builds no
// tree and stops at the first key after those it needs, so the report's size
// does not matter. The Ruby tag on the document (!ruby/object:...) is
// ignored. `text` is the whole file when `whole_file`; otherwise a prefix of
// it, and then a result is only returned once the parser has passed every
// key it needs (a cut cannot have shortened a value): until then the answer
// is Unavailable, meaning "read more". A report without status is
// InvalidArgument. The depth and "[" / "{" bounds of ParsePuppetSummary
// apply to what the parser reads.
absl::StatusOr<PuppetReportHead> ParsePuppetReportHead(absl::string_view text, bool whole_file);

// The keys Puppet writes at the end of the report, after resource_statuses
// (Report#to_data_hash: corrective_change, then those it has of server_used,
// catalog_uuid, code_id, job_id and cached_catalog_status, in that order).
struct PuppetReportTail {
  // Whether the run applied the cached catalog instead of a new one, and
  // why: not_used, explicitly_requested (--use_cached_catalog) or on_failure
  // (usecacheonfailure after the catalog could not be compiled or fetched).
  // Empty when the report has none (a Puppet that does not write it, or a
  // tail that does not reach it).
  std::string cached_catalog_status;
};

// Parses the last bytes of a report: `text` is the whole file when
// `whole_file`, else its tail, whose first line is then taken to be cut and
// skipped. Only top-level keys count, which in Puppet's YAML (and in any YAML
// whose root is a mapping) are the lines starting in column 0. A value that
// is not a scalar, or a line that is not YAML, is InvalidArgument.
absl::StatusOr<PuppetReportTail> ParsePuppetReportTail(absl::string_view text, bool whole_file);

// Whether a report belongs to the same run as a summary. Puppet writes both at
// the end of a run, but writes the report only when `report` is on and may
// fail to write either, so an old report can sit beside a new summary. The
// report's time is the run's start; the summary's last_run its end (whole
// seconds), total its length; both carry the catalog's version.
bool PuppetReportMatchesSummary(const PuppetReportHead& report, const PuppetSummary& summary);

// The disable lock's content: {"disabled_message":"..."} (Puppet 7.23),
// empty when made by hand (Puppet still honours it). The message is empty
// when there is none.
absl::StatusOr<std::string> ParsePuppetDisableLock(absl::string_view text);

// `value` cut to at most `max_bytes` without splitting a UTF-8 character, for
// label values taken from free text.
std::string TruncateLabelValue(absl::string_view value, size_t max_bytes);

}  // namespace strata
