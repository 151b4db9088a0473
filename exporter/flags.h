// The command line, in node_exporter's spelling. The collector table
// generates --collector.NAME / --no-collector.NAME and each module adds its
// own --collector.NAME.* knobs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/host_fs.h"
#include "base/logging.h"
#include "collectors/collector.h"

namespace CLI {
class App;
}

namespace strata {

struct ExporterFlags {
  std::vector<std::string> listen_addresses{":10299"};
  std::string telemetry_path = "/metrics";
  bool disable_exporter_metrics = false;
  unsigned max_requests = 40;
  std::string web_config_file;  // empty: plain HTTP, no authentication
  bool systemd_socket = false;  // listen on the sockets systemd passes
  absl::Duration scrape_timeout = absl::Seconds(10);
  absl::Duration scrape_timeout_offset = absl::Milliseconds(500);
  HostPaths paths;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kLogfmt;
  bool disable_defaults = false;
  // Collectors named on the command line: true for --collector.NAME, false
  // for --no-collector.NAME.
  std::map<std::string, bool> collector_choice;

  // Whether the collector runs, given its default and the flags.
  bool Enabled(const CollectorInfo& info) const;
};

// Defines every flag on `app`, bound to `flags` and to the modules' knobs.
// Both must outlive the parse.
void DefineFlags(CLI::App& app, ExporterFlags& flags,
                 const std::vector<std::unique_ptr<CollectorModule>>& modules);

// The outcome of parsing argv.
struct ParsedCommandLine {
  // -1: carry on; otherwise exit with this code (help, version, bad flag).
  int exit_code = -1;
};

// What --version prints: version, branch and revision, then the build date,
// compiler and platform, as node_exporter prints its own.
std::string VersionText();

// Parses argv; prints --help / --version to stdout and a one-line error to
// stderr for a bad flag.
ParsedCommandLine ParseCommandLine(int argc, char** argv, ExporterFlags& flags,
                                   const std::vector<std::unique_ptr<CollectorModule>>& modules);

}  // namespace strata
