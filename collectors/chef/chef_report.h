// Parsing the run reports of Chef Infra Client's json_file handler
// (Chef::Handler::JsonFile, lib/chef/handler/json_file.rb). Enabled in
// client.rb as a report and an exception handler, it writes after every run
// <path>/chef-run-report-<%Y%m%d%H%M%S local time>.json holding
// Chef::RunStatus#to_h (lib/chef/run_status.rb), with the times as Ruby's
// Time#to_s:
//
//   {"node": {... "automatic": {"chef_packages": {"chef": {"version": "18.5.0"}}}},
//    "success": false, "start_time": "2024-05-01 12:00:00 +0000",
//    "end_time": "2024-05-01 12:00:42 +0000", "elapsed_time": 42.17,
//    "all_resources": [...], "updated_resources": [...],
//    "exception": "Mixlib::ShellOut::ShellCommandFailed: ...", "backtrace": [...],
//    "run_id": "..."}
//
// Pure functions over text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace strata {

struct ChefRun {
  bool success = false;
  std::optional<absl::Time> start;  // absent when the report has none (null or "")
  std::optional<absl::Time> end;
  std::optional<double> elapsed_seconds;
  std::optional<double> total_resources;    // all_resources; null before compilation
  std::optional<double> updated_resources;  // updated_resources
  std::string exception;                    // "Class: message" of a failed run
  std::string chef_version;                 // node.automatic.chef_packages.chef.version
};

// One report. InvalidArgument naming the member that is missing or of the
// wrong type.
absl::StatusOr<ChefRun> ParseChefRunReport(absl::string_view text);

// The newest report among the names of the reports directory: the greatest
// chef-run-report-<digits>.json, since the handler names them by the time it
// wrote them. nullopt when there is none.
std::optional<std::string> NewestChefRunReport(const std::vector<std::string>& names);

}  // namespace strata
