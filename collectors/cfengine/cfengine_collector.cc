#include "collectors/cfengine/cfengine_collector.h"

#include <optional>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/absence_log.h"
#include "collectors/cfengine/cfengine_metrics.h"
#include "collectors/cfengine/cfengine_summary.h"
#include "collectors/common/convergence_metrics.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

class CfengineCollector : public Collector {
 public:
  CfengineCollector(const CollectorContext& ctx, CfengineCollectorOptions options)
      : fs_(ctx.fs), logger_(ctx.logger), options_(std::move(options)) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    absl::StatusOr<std::string> path = SummaryLog();
    if (!path.ok()) return path.status();
    absl::StatusOr<std::string> tail =
        fs_.ReadFileTail(HostRoot::kRootfs, *path, kCfengineTailBytes);
    if (absl::IsNotFound(tail.status())) {
      NoteAbsent(absl::StrCat(fs_.Resolve(HostRoot::kRootfs, *path), " does not exist"));
      return absl::OkStatus();
    }
    if (!tail.ok()) return tail.status();
    absl::StatusOr<std::optional<CfengineOutcome>> outcome =
        ParseCfengineSummaryTail(*tail, tail->size() < kCfengineTailBytes);
    if (!outcome.ok()) {
      return absl::Status(
          outcome.status().code(),
          absl::StrCat(fs_.Resolve(HostRoot::kRootfs, *path), ": ", outcome.status().message()));
    }
    if (!outcome->has_value()) {
      NoteAbsent(absl::StrCat(fs_.Resolve(HostRoot::kRootfs, *path), " holds no run yet"));
      return absl::OkStatus();
    }
    absence_.Present();
    Emit(**outcome, out);
    return absl::OkStatus();
  }

 private:
  // The configured log, or the first default that exists (the Debian one when
  // neither does, so that the message names it).
  absl::StatusOr<std::string> SummaryLog() const {
    if (!options_.summary_log.empty()) return options_.summary_log;
    for (const char* candidate : {kCfengineDebianSummaryLog, kCfengineUpstreamSummaryLog}) {
      absl::StatusOr<bool> exists = fs_.Exists(HostRoot::kRootfs, candidate);
      if (!exists.ok()) return exists.status();
      if (*exists) return std::string(candidate);
    }
    return std::string(kCfengineDebianSummaryLog);
  }

  // CFEngine not installed, or not run yet: not an error.
  void NoteAbsent(const std::string& why) { absence_.Absent({{"reason", why}}); }

  static void Emit(const CfengineOutcome& outcome, std::vector<prometheus::MetricFamily>& out) {
    ConvergenceRun run;
    run.timestamp_seconds = static_cast<double>(outcome.end_seconds);
    // The end is read from the clock after the run: a clock stepped back
    // meanwhile leaves no meaningful duration.
    if (outcome.end_seconds >= outcome.start_seconds) {
      run.duration_seconds = static_cast<double>(outcome.end_seconds - outcome.start_seconds);
    }
    run.success = outcome.not_kept_percent == 0;
    run.config_version = outcome.policy_version;
    EmitConvergenceRun("cfengine", run, out);
    FamilyBuilder(cfengine_metrics::kPromisesRatio)
        .Add(outcome.kept_percent / 100, {"kept"})
        .Add(outcome.repaired_percent / 100, {"repaired"})
        .Add(outcome.not_kept_percent / 100, {"not_kept"})
        .EmitTo(out);
  }

  const HostFs& fs_;
  const Logger& logger_;
  const CfengineCollectorOptions options_;
  AbsenceLog absence_{logger_, "cfengine", "no CFEngine run to report"};
};

std::vector<const MetricSpec*> CfengineMetricSpecs() {
  std::vector<const MetricSpec*> specs = ConvergenceMetricSpecs();
  specs.push_back(&cfengine_metrics::kPromisesRatio);
  return specs;
}

void AddCfengineFlags(CLI::App& app, CfengineCollectorOptions& options) {
  app.add_option("--collector.cfengine.summary-log", options.summary_log,
                 absl::StrCat("CFEngine's promise_summary.log, below --path.rootfs (default: ",
                              kCfengineDebianSummaryLog, " if it exists, else ",
                              kCfengineUpstreamSummaryLog, ")."));
}

}  // namespace

std::unique_ptr<CollectorModule> NewCfengineCollectorModule() {
  return std::make_unique<OptionsCollectorModule<CfengineCollectorOptions>>(
      CollectorInfo{"cfengine", true,
                    "CFEngine's last agent run: time, duration, policy version, promises kept, "
                    "repaired and not kept",
                    CfengineMetricSpecs()},
      AddCfengineFlags, NewCfengineCollector);
}

std::unique_ptr<Collector> NewCfengineCollector(const CollectorContext& context,
                                                const CfengineCollectorOptions& options) {
  return std::make_unique<CfengineCollector>(context, options);
}

}  // namespace strata
