#include "collectors/chef/chef_collector.h"

#include <optional>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/absence_log.h"
#include "collectors/chef/chef_report.h"
#include "collectors/common/convergence_metrics.h"
#include "collectors/common/report_file.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

double SecondsSinceEpoch(absl::Time time) {
  return absl::ToDoubleSeconds(time - absl::UnixEpoch());
}

class ChefCollector : public Collector {
 public:
  ChefCollector(const CollectorContext& ctx, ChefCollectorOptions options)
      : fs_(ctx.fs), logger_(ctx.logger), options_(std::move(options)) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    absl::string_view dir = options_.reports_dir;
    absl::ConsumeSuffix(&dir, "/");
    absl::StatusOr<std::vector<std::string>> names = fs_.ListDir(HostRoot::kRootfs, dir);
    if (absl::IsNotFound(names.status())) return Absent("no reports directory", dir);
    if (!names.ok()) return names.status();
    std::optional<std::string> newest = NewestChefRunReport(*names);
    if (!newest.has_value()) return Absent("no chef-run-report-*.json", dir);
    const std::string path = absl::StrCat(dir, "/", *newest);
    absl::StatusOr<std::optional<std::string>> text =
        ReadReportFile(fs_, HostRoot::kRootfs, path, kChefMaxReportBytes);
    if (!text.ok()) return text.status();
    if (!text->has_value()) return Absent("the newest report vanished", path);
    absence_.Present();
    absl::StatusOr<ChefRun> report = ParseChefRunReport(**text);
    if (!report.ok()) {
      return absl::Status(report.status().code(), absl::StrCat(fs_.Resolve(HostRoot::kRootfs, path),
                                                               ": ", report.status().message()));
    }

    ConvergenceRun run;
    run.success = report->success;
    if (report->end.has_value()) {
      run.timestamp_seconds = SecondsSinceEpoch(*report->end);
    } else if (report->start.has_value()) {
      run.timestamp_seconds = SecondsSinceEpoch(*report->start);
    }
    // elapsed_time keeps the sub-second part the whole-second times lose.
    run.duration_seconds = report->elapsed_seconds;
    if (!run.duration_seconds.has_value() && report->start.has_value() && report->end.has_value()) {
      run.duration_seconds = absl::ToDoubleSeconds(*report->end - *report->start);
    }
    if (report->total_resources.has_value()) {
      run.resources.emplace_back("total", *report->total_resources);
    }
    if (report->updated_resources.has_value()) {
      run.resources.emplace_back("updated", *report->updated_resources);
    }
    run.tool_version = report->chef_version;
    EmitConvergenceRun("chef", run, out);
    return absl::OkStatus();
  }

 private:
  // Chef not installed, or the handler never ran: not an error.
  absl::Status Absent(absl::string_view why, absl::string_view path) {
    absence_.Absent({{"reason", std::string(why)}, {"path", fs_.Resolve(HostRoot::kRootfs, path)}});
    return absl::OkStatus();
  }

  const HostFs& fs_;
  const Logger& logger_;
  const ChefCollectorOptions options_;
  AbsenceLog absence_{logger_, "chef", "no Chef run report"};
};

void AddChefFlags(CLI::App& app, ChefCollectorOptions& options) {
  app.add_option("--collector.chef.reports-dir", options.reports_dir,
                 "Directory, below --path.rootfs, where Chef's json_file handler writes "
                 "chef-run-report-*.json; the newest is read.")
      ->capture_default_str();
}

}  // namespace

std::unique_ptr<CollectorModule> NewChefCollectorModule() {
  return std::make_unique<OptionsCollectorModule<ChefCollectorOptions>>(
      CollectorInfo{
          "chef", true,
          "Chef Infra Client's last run: success, time, duration, resources updated and in total",
          ConvergenceMetricSpecs()},
      AddChefFlags, NewChefCollector);
}

std::unique_ptr<Collector> NewChefCollector(const CollectorContext& context,
                                            const ChefCollectorOptions& options) {
  return std::make_unique<ChefCollector>(context, options);
}

}  // namespace strata
