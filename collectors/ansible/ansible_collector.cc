#include "collectors/ansible/ansible_collector.h"

#include <unistd.h>

#include <optional>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/absence_log.h"
#include "collectors/ansible/ansible_results.h"
#include "collectors/common/convergence_metrics.h"
#include "collectors/common/report_file.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

class AnsibleCollector : public Collector {
 public:
  AnsibleCollector(const CollectorContext& ctx, AnsibleCollectorOptions options)
      : fs_(ctx.fs), logger_(ctx.logger), options_(std::move(options)) {
    if (options_.hostname.empty()) options_.hostname = LocalHostname();
  }

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    if (options_.results_file.empty()) return absl::OkStatus();
    const std::string& path = options_.results_file;
    absl::StatusOr<std::optional<std::string>> text =
        ReadReportFile(fs_, HostRoot::kRootfs, path, kAnsibleMaxResultsBytes);
    if (!text.ok()) return text.status();
    if (!text->has_value()) return Absent("no results file", path);
    // `ansible-playbook ... > file` empties the file when the run starts and
    // the callback prints only when it ends: no results yet, not an error.
    if (absl::StripAsciiWhitespace(**text).empty()) return Absent("empty results file", path);
    absence_.Present();
    absl::StatusOr<AnsibleResults> results = ParseAnsibleResults(**text);
    if (!results.ok()) return InFile(path, results.status());
    absl::StatusOr<const AnsibleHostStats*> stats = FindHost(*results);
    if (!stats.ok()) return InFile(path, stats.status());

    ConvergenceRun run;
    if (results->end.has_value()) {
      run.timestamp_seconds = absl::ToDoubleSeconds(*results->end - absl::UnixEpoch());
      if (results->start.has_value()) {
        run.duration_seconds = absl::ToDoubleSeconds(*results->end - *results->start);
      }
    } else if (results->start.has_value()) {
      run.timestamp_seconds = absl::ToDoubleSeconds(*results->start - absl::UnixEpoch());
    }
    run.success = (*stats)->success;
    run.resources = (*stats)->counts;
    run.noop = results->check_mode;
    EmitConvergenceRun("ansible", run, out);
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<const AnsibleHostStats*> FindHost(const AnsibleResults& results) const {
    std::vector<std::string> candidates;
    if (!options_.host.empty()) {
      candidates.push_back(options_.host);
    } else {
      candidates = AnsibleLocalHostNames(options_.hostname);
    }
    for (const std::string& name : candidates) {
      auto it = results.hosts.find(name);
      if (it != results.hosts.end()) return &it->second;
    }
    std::vector<std::string> found;
    for (const auto& [name, stats] : results.hosts) found.push_back(name);
    return absl::NotFoundError(
        absl::StrCat("no recap for ", absl::StrJoin(candidates, " or "),
                     " in stats (hosts: ", found.empty() ? "none" : absl::StrJoin(found, ", "),
                     "); set --collector.ansible.host to the inventory name of this host"));
  }

  // No results (yet): not an error.
  absl::Status Absent(absl::string_view why, absl::string_view path) {
    absence_.Absent({{"reason", std::string(why)}, {"path", fs_.Resolve(HostRoot::kRootfs, path)}});
    return absl::OkStatus();
  }

  absl::Status InFile(absl::string_view path, const absl::Status& status) const {
    return absl::Status(status.code(),
                        absl::StrCat(fs_.Resolve(HostRoot::kRootfs, path), ": ", status.message()));
  }

  const HostFs& fs_;
  const Logger& logger_;
  AnsibleCollectorOptions options_;
  AbsenceLog absence_{logger_, "ansible", "no Ansible results"};
};

void AddAnsibleFlags(CLI::App& app, AnsibleCollectorOptions& options) {
  app.add_option("--collector.ansible.results-file", options.results_file,
                 "File, below --path.rootfs, holding what ansible-playbook or ansible-pull "
                 "printed with ANSIBLE_STDOUT_CALLBACK=json (default: none, nothing reported).");
  app.add_option("--collector.ansible.host", options.host,
                 "Inventory name of this host in the results' stats (default: the first found "
                 "of localhost, the host name, its first label, 127.0.0.1).");
}

}  // namespace

std::unique_ptr<CollectorModule> NewAnsibleCollectorModule() {
  return std::make_unique<OptionsCollectorModule<AnsibleCollectorOptions>>(
      CollectorInfo{"ansible", true,
                    "the last ansible-playbook or ansible-pull run: time, duration, the local "
                    "host's recap, check mode",
                    ConvergenceMetricSpecs()},
      AddAnsibleFlags, NewAnsibleCollector);
}

std::unique_ptr<Collector> NewAnsibleCollector(const CollectorContext& context,
                                               const AnsibleCollectorOptions& options) {
  return std::make_unique<AnsibleCollector>(context, options);
}

}  // namespace strata
