#include "collectors/puppet/puppet_collector.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/absence_log.h"
#include "collectors/common/convergence_metrics.h"
#include "collectors/common/report_file.h"
#include "collectors/options_collector_module.h"
#include "collectors/puppet/puppet_metrics.h"
#include "collectors/puppet/puppet_reports.h"

namespace strata {
namespace {

namespace m = puppet_metrics;

constexpr std::string_view kTool = "puppet";

// Phases Puppet times (Puppet::Transaction::Report#add_times); every other
// key of the summary's time section but total and last_run is a resource type.
constexpr const char* kPhases[] = {
    "startup_time",     "fact_generation", "node_retrieval",         "plugin_sync",
    "config_retrieval", "convert_catalog", "transaction_evaluation", "catalog_application",
    "resubmit_facts"};

bool IsPhase(const std::string& key) {
  for (const char* phase : kPhases) {
    if (key == phase) return true;
  }
  return false;
}

// Host path to a path below --path.rootfs.
std::string RootfsPath(absl::string_view host_path) {
  absl::ConsumePrefix(&host_path, "/");
  return std::string(host_path);
}

// What one stat of a file said. A file whose stat failed for another reason
// than absence counts as present: it is there to be reported as unreadable.
struct Probe {
  std::string path;  // below --path.rootfs
  bool exists = false;
  absl::Status error;
  FileStat stat;
};

Probe ProbeFile(const HostFs& fs, std::string path) {
  Probe probe;
  probe.path = std::move(path);
  absl::StatusOr<FileStat> stat = fs.Stat(HostRoot::kRootfs, probe.path);
  if (absl::IsNotFound(stat.status())) return probe;
  probe.exists = true;
  if (stat.ok()) {
    probe.stat = *stat;
  } else {
    probe.error = stat.status();
  }
  return probe;
}

// Adds what the exporter needs to an error about a file it may not read.
absl::Status Explain(absl::Status status) {
  if (!absl::IsPermissionDenied(status)) return status;
  return absl::PermissionDeniedError(
      absl::StrCat(status.message(),
                   " (Puppet writes its run files root:root 0640: run the exporter as root, with "
                   "CAP_DAC_READ_SEARCH, or chgrp the files to its group)"));
}

absl::Status WithPath(const HostFs& fs, const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(fs.Resolve(HostRoot::kRootfs, path), ": ", status.message()));
}

// The head of a report, read a chunk at a time until the parser has what it
// needs, and never more than kPuppetReportHeadMaxBytes; nullopt when the
// report does not exist.
absl::StatusOr<std::optional<PuppetReportHead>> ReadReportHead(const HostFs& fs,
                                                               const Probe& probe) {
  if (!probe.exists) return std::nullopt;
  if (!probe.error.ok()) return probe.error;
  if (probe.stat.type != FileStat::Type::kRegular) {
    return absl::FailedPreconditionError(
        absl::StrCat(fs.Resolve(HostRoot::kRootfs, probe.path), ": not a regular file"));
  }
  std::string text;
  std::optional<absl::StatusOr<PuppetReportHead>> head;
  bool capped = false;
  // Parsing again only once the text has doubled bounds the parsing to about
  // twice the text read, however late the head ends.
  size_t parse_at = 0;
  absl::Status read = fs.ReadFileChunks(
      HostRoot::kRootfs, probe.path, [&](absl::string_view chunk) -> absl::Status {
        const size_t room = kPuppetReportHeadMaxBytes - text.size();
        if (room == 0) {
          capped = true;
          return absl::CancelledError("read cap reached");
        }
        text.append(chunk.data(), std::min(room, chunk.size()));
        if (text.size() >= parse_at || chunk.size() >= room) {
          parse_at = 2 * text.size();
          absl::StatusOr<PuppetReportHead> parsed = ParsePuppetReportHead(text, false);
          if (!absl::IsUnavailable(parsed.status())) {
            head = std::move(parsed);
            return absl::CancelledError("have the head");
          }
        }
        if (chunk.size() > room) {
          capped = true;
          return absl::CancelledError("read cap reached");
        }
        return absl::OkStatus();
      });
  if (!head.has_value()) {
    if (capped) {
      return absl::ResourceExhaustedError(absl::StrCat(
          fs.Resolve(HostRoot::kRootfs, probe.path), ": no status in its first ",
          kPuppetReportHeadMaxBytes, " bytes (Puppet writes it at the top of the report)"));
    }
    if (absl::IsNotFound(read)) return std::nullopt;  // replaced or removed since the stat
    if (!read.ok()) return read;
    head = ParsePuppetReportHead(text, true);
  }
  if (!head->ok()) return WithPath(fs, probe.path, head->status());
  return std::optional<PuppetReportHead>(**std::move(head));
}

// The tail of the report whose head was read; nullopt when it is gone, or
// when the file is no longer the one `probe` stat'ed before the head was read
// (Puppet renames a new report into place), so head and tail never come from
// two runs.
absl::StatusOr<std::optional<PuppetReportTail>> ReadReportTail(const HostFs& fs,
                                                               const Probe& probe) {
  absl::StatusOr<std::string> text =
      fs.ReadFileTail(HostRoot::kRootfs, probe.path, kPuppetReportTailBytes);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  absl::StatusOr<FileStat> now = fs.Stat(HostRoot::kRootfs, probe.path);
  if (!now.ok() || now->device != probe.stat.device || now->inode != probe.stat.inode ||
      now->size != probe.stat.size || now->mtime != probe.stat.mtime) {
    return std::nullopt;
  }
  absl::StatusOr<PuppetReportTail> tail =
      ParsePuppetReportTail(*text, text->size() < kPuppetReportTailBytes);
  if (!tail.ok()) return WithPath(fs, probe.path, tail.status());
  return std::optional<PuppetReportTail>(*std::move(tail));
}

// A one-hot family: 1 for `value`, 0 for each other known value, and `value`
// itself (cut to a label's length) with 1 when it is none of them.
void EmitOneHot(const MetricSpec& spec, const std::string& value,
                std::initializer_list<const char*> known_values,
                std::vector<prometheus::MetricFamily>& out) {
  FamilyBuilder family(spec);
  bool known = false;
  for (const char* name : known_values) {
    family.Add(value == name ? 1 : 0, {name});
    known = known || value == name;
  }
  if (!known) family.Add(1, {TruncateLabelValue(value, kPuppetMaxLabelBytes)});
  family.EmitTo(out);
}

class PuppetCollector : public Collector {
 public:
  PuppetCollector(const CollectorContext& context, PuppetCollectorOptions options)
      : fs_(context.fs), logger_(context.logger), options_(std::move(options)) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override;

 private:
  // The layout whose files are read where no flag names one: the first in
  // which any of them exists (a host moved from Debian's package to Puppet's
  // AIO one keeps Debian's stale files).
  const PuppetLayout& ChooseLayout() const;
  std::string PathFor(const std::string& flag, const char* layout_path) const {
    return RootfsPath(flag.empty() ? layout_path : flag);
  }

  const HostFs& fs_;
  const Logger& logger_;
  const PuppetCollectorOptions options_;
  AbsenceLog absence_{logger_, "puppet", "no Puppet run files; nothing to report"};
};

const PuppetLayout& PuppetCollector::ChooseLayout() const {
  for (const PuppetLayout& layout : kPuppetLayouts) {
    for (const auto& [flag, path] :
         {std::make_pair(&options_.summary_file, layout.summary_file),
          std::make_pair(&options_.report_file, layout.report_file),
          std::make_pair(&options_.disabled_lock_file, layout.disabled_lock_file)}) {
      if (flag->empty() && ProbeFile(fs_, RootfsPath(path)).exists) return layout;
    }
  }
  return kPuppetLayouts[0];
}

absl::Status PuppetCollector::Collect(std::vector<prometheus::MetricFamily>& out) {
  const PuppetLayout& layout = ChooseLayout();
  const Probe summary_file = ProbeFile(fs_, PathFor(options_.summary_file, layout.summary_file));
  const Probe report_file = ProbeFile(fs_, PathFor(options_.report_file, layout.report_file));
  const Probe lock_file =
      ProbeFile(fs_, PathFor(options_.disabled_lock_file, layout.disabled_lock_file));
  if (!summary_file.exists && !report_file.exists && !lock_file.exists) {
    absence_.Absent({{"summary", fs_.Resolve(HostRoot::kRootfs, summary_file.path)}});
    return absl::OkStatus();
  }
  absence_.Present();
  absl::Status status;

  std::optional<PuppetSummary> summary;
  if (summary_file.exists) {
    absl::StatusOr<std::optional<std::string>> text =
        summary_file.error.ok()
            ? ReadReportFile(fs_, HostRoot::kRootfs, summary_file.path, kPuppetSummaryMaxBytes)
            : absl::StatusOr<std::optional<std::string>>(summary_file.error);
    if (!text.ok()) {
      status.Update(Explain(text.status()));
    } else if (text->has_value()) {
      absl::StatusOr<PuppetSummary> parsed = ParsePuppetSummary(**text);
      if (parsed.ok()) {
        summary = *std::move(parsed);
      } else {
        status.Update(WithPath(fs_, summary_file.path, parsed.status()));
      }
    }
  }

  std::optional<PuppetReportHead> report;
  std::optional<PuppetReportTail> report_tail;
  absl::StatusOr<std::optional<PuppetReportHead>> head = ReadReportHead(fs_, report_file);
  if (!head.ok()) {
    status.Update(Explain(head.status()));
  } else if (head->has_value()) {
    if (!summary.has_value() || PuppetReportMatchesSummary(**head, *summary)) {
      report = *std::move(*head);
      absl::StatusOr<std::optional<PuppetReportTail>> tail = ReadReportTail(fs_, report_file);
      if (!tail.ok()) {
        status.Update(Explain(tail.status()));
      } else if (!tail->has_value()) {
        logger_.Debug("the last run report changed while it was read; its tail is not used",
                      {{"collector", "puppet"},
                       {"report", fs_.Resolve(HostRoot::kRootfs, report_file.path)}});
      } else {
        report_tail = *std::move(*tail);
      }
    } else {
      logger_.Debug(
          "the last run report is from another run than the summary; not used",
          {{"collector", "puppet"}, {"report", fs_.Resolve(HostRoot::kRootfs, report_file.path)}});
    }
  }

  std::optional<bool> disabled;
  double disabled_since = 0;  // the lock's mtime, when disabled
  std::string disabled_message;
  if (!lock_file.exists) {
    disabled = false;
  } else if (!lock_file.error.ok()) {
    status.Update(Explain(lock_file.error));
  } else {
    disabled = true;
    disabled_since = absl::ToDoubleSeconds(lock_file.stat.mtime - absl::UnixEpoch());
    absl::StatusOr<std::optional<std::string>> text =
        ReadReportFile(fs_, HostRoot::kRootfs, lock_file.path, kPuppetLockMaxBytes);
    if (!text.ok()) {
      status.Update(Explain(text.status()));
    } else if (!text->has_value()) {
      disabled = false;  // enabled again since the stat
    } else {
      absl::StatusOr<std::string> message = ParsePuppetDisableLock(**text);
      if (message.ok()) {
        disabled_message = TruncateLabelValue(*message, kPuppetMaxLabelBytes);
      } else {
        status.Update(WithPath(fs_, lock_file.path, message.status()));
      }
    }
  }

  ConvergenceRun run;
  run.agent_disabled = disabled;
  std::string environment;
  if (summary.has_value()) {
    run.timestamp_seconds = summary->last_run;
    run.duration_seconds = summary->total_seconds;
    run.resources = summary->resources;
    run.config_version = summary->config_version;
    run.tool_version = summary->puppet_version;
    environment = summary->environment;
    // Without the run's report, a failed resource is what Puppet itself counts
    // as a failed run (Report#compute_status).
    std::optional<double> failed, failed_to_restart;
    for (const auto& [state, count] : summary->resources) {
      if (state == "failed") failed = count;
      if (state == "failed_to_restart") failed_to_restart = count;
    }
    if (failed.has_value()) run.success = *failed == 0 && failed_to_restart.value_or(0) == 0;
  }
  if (report.has_value()) {
    run.success = report->status != "failed";
    run.noop = report->noop;
    if (!summary.has_value()) {
      run.timestamp_seconds = report->time;
      run.config_version = report->config_version;
      run.tool_version = report->puppet_version;
      environment = report->environment;
    }
  }
  run.config_version = TruncateLabelValue(run.config_version, kPuppetMaxLabelBytes);
  EmitConvergenceRun(kTool, run, out);

  if (summary.has_value()) {
    FamilyBuilder events(m::kEvents);
    bool have_noop = false, have_audit = false;
    for (const auto& [event_status, count] : summary->events) {
      events.Add(count, {event_status});
      have_noop = have_noop || event_status == "noop";
      have_audit = have_audit || event_status == "audit";
    }
    // Puppet writes an event status only when some event had it.
    if (!summary->events.empty()) {
      if (!have_noop) events.Add(0, {"noop"});
      if (!have_audit) events.Add(0, {"audit"});
    }
    events.EmitTo(out);
    if (summary->changes.has_value()) {
      FamilyBuilder(m::kChanges).Add(*summary->changes).EmitTo(out);
    }
    FamilyBuilder phases(m::kPhaseDuration);
    FamilyBuilder types(m::kResourceTime);
    for (const auto& [key, seconds] : summary->times) {
      (IsPhase(key) ? phases : types).Add(seconds, {key});
    }
    phases.EmitTo(out);
    types.EmitTo(out);
  }
  if (report.has_value()) {
    EmitOneHot(m::kLastRunStatus, report->status, {"changed", "unchanged", "failed"}, out);
    if (report->noop_pending.has_value()) {
      FamilyBuilder(m::kNoopPending).Add(*report->noop_pending ? 1 : 0).EmitTo(out);
    }
    if (report->transaction_completed.has_value()) {
      FamilyBuilder(m::kTransactionCompleted)
          .Add(*report->transaction_completed ? 1 : 0)
          .EmitTo(out);
    }
  }
  if (report_tail.has_value() && !report_tail->cached_catalog_status.empty()) {
    EmitOneHot(m::kCachedCatalogStatus, report_tail->cached_catalog_status,
               {"not_used", "explicitly_requested", "on_failure"}, out);
  }
  if (!environment.empty()) {
    FamilyBuilder(m::kEnvironmentInfo)
        .Add(1, {TruncateLabelValue(environment, kPuppetMaxLabelBytes)})
        .EmitTo(out);
  }
  if (disabled.value_or(false)) FamilyBuilder(m::kDisabledSince).Add(disabled_since).EmitTo(out);
  if (disabled.value_or(false) && !disabled_message.empty()) {
    FamilyBuilder(m::kDisabledInfo).Add(1, {disabled_message}).EmitTo(out);
  }
  return status;
}

std::vector<const MetricSpec*> PuppetMetricSpecs() {
  std::vector<const MetricSpec*> specs = ConvergenceMetricSpecs();
  for (const MetricSpec* spec :
       {&m::kEvents, &m::kChanges, &m::kPhaseDuration, &m::kResourceTime, &m::kLastRunStatus,
        &m::kNoopPending, &m::kTransactionCompleted, &m::kCachedCatalogStatus, &m::kEnvironmentInfo,
        &m::kDisabledSince, &m::kDisabledInfo}) {
    specs.push_back(spec);
  }
  return specs;
}

void AddPuppetFlags(CLI::App& app, PuppetCollectorOptions& options) {
  app.add_option("--collector.puppet.summary-file", options.summary_file,
                 "Puppet's last_run_summary.yaml, below --path.rootfs (default: "
                 "/opt/puppetlabs/puppet/public/last_run_summary.yaml when any of the AIO "
                 "package's run files exists, else Debian's "
                 "/var/cache/puppet/public/last_run_summary.yaml).");
  app.add_option(
      "--collector.puppet.report-file", options.report_file,
      "Puppet's last_run_report.yaml, below --path.rootfs; only its head and its last "
      "16 KiB are read (default: /opt/puppetlabs/puppet/cache/state/last_run_report.yaml "
      "when any of the AIO package's run files exists, else Debian's "
      "/var/cache/puppet/state/last_run_report.yaml).");
  app.add_option("--collector.puppet.disabled-lock-file", options.disabled_lock_file,
                 "The lock Puppet keeps while its agent is disabled, below --path.rootfs (default: "
                 "/opt/puppetlabs/puppet/cache/state/agent_disabled.lock when any of the AIO "
                 "package's run files exists, else Debian's "
                 "/var/cache/puppet/state/agent_disabled.lock).");
}

}  // namespace

std::unique_ptr<Collector> NewPuppetCollector(const CollectorContext& context,
                                              const PuppetCollectorOptions& options) {
  return std::make_unique<PuppetCollector>(context, options);
}

std::unique_ptr<CollectorModule> NewPuppetCollectorModule() {
  return std::make_unique<OptionsCollectorModule<PuppetCollectorOptions>>(
      CollectorInfo{"puppet", true,
                    "The last Puppet run (summary and report) and whether the agent is disabled",
                    PuppetMetricSpecs()},
      AddPuppetFlags, NewPuppetCollector);
}

}  // namespace strata
