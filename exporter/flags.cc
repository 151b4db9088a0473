#include "exporter/flags.h"

#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/duration_flag.h"
#include "exporter/build_info.h"

namespace strata {
namespace {

std::string OneLine(std::string text) {
  text = absl::StrReplaceAll(text, {{"\n", " "}});
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

bool ExporterFlags::Enabled(const CollectorInfo& info) const {
  auto it = collector_choice.find(std::string(info.name));
  if (it != collector_choice.end()) return it->second;
  return info.enabled_by_default && !disable_defaults;
}

void DefineFlags(CLI::App& app, ExporterFlags& flags,
                 const std::vector<std::unique_ptr<CollectorModule>>& modules) {
  app.add_option("--web.listen-address", flags.listen_addresses,
                 "Address to listen on, HOST:PORT or :PORT for every address; repeat for more.")
      ->default_str(":10299");
  app.add_option("--web.telemetry-path", flags.telemetry_path,
                 "Path under which to expose metrics.")
      ->capture_default_str();
  app.add_flag("--web.disable-exporter-metrics", flags.disable_exporter_metrics,
               "Leave out the exporter's own process_* metrics (strata_exporter_build_info "
               "stays: dashboards read it).");
  app.add_option("--web.max-requests", flags.max_requests,
                 "Maximum number of scrapes served at once; more are answered 503.")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10000u));
  app.add_option("--web.config.file", flags.web_config_file,
                 "Path to an exporter-toolkit web config file (TLS, client certificates, basic "
                 "auth, headers); reloaded on SIGHUP.")
      ->capture_default_str();
  app.add_flag("--web.systemd-socket", flags.systemd_socket,
               "Serve on the sockets systemd passes (socket activation) instead of "
               "--web.listen-address.");
  AddDurationFlag(app, "--scrape.timeout", flags.scrape_timeout,
                  "Longest time one scrape's collectors may take; lowered to Prometheus' own "
                  "scrape timeout minus --scrape.timeout-offset when it sends one.",
                  DurationFloor::kPositive)
      ->default_str(absl::FormatDuration(flags.scrape_timeout));
  AddDurationFlag(app, "--scrape.timeout-offset", flags.scrape_timeout_offset,
                  "Taken off Prometheus' scrape timeout, so the answer arrives in time.",
                  DurationFloor::kPositive)
      ->default_str(absl::FormatDuration(flags.scrape_timeout_offset));
  app.add_option("--path.procfs", flags.paths.procfs, "procfs mountpoint.")->capture_default_str();
  app.add_option("--path.sysfs", flags.paths.sysfs, "sysfs mountpoint.")->capture_default_str();
  app.add_option("--path.rootfs", flags.paths.rootfs, "Root of the host's file system.")
      ->capture_default_str();
  app.add_option_function<std::string>(
         "--log.level",
         [&flags](const std::string& text) {
           absl::StatusOr<LogLevel> level = ParseLogLevel(text);
           if (!level.ok())
             throw CLI::ValidationError("--log.level", std::string(level.status().message()));
           flags.log_level = *level;
         },
         "Only log messages at this level or above: debug, info, warn, error.")
      ->default_str("info");
  app.add_option_function<std::string>(
         "--log.format",
         [&flags](const std::string& text) {
           absl::StatusOr<LogFormat> format = ParseLogFormat(text);
           if (!format.ok())
             throw CLI::ValidationError("--log.format", std::string(format.status().message()));
           flags.log_format = *format;
         },
         "Output format of log messages: logfmt or json.")
      ->default_str("logfmt");
  app.add_flag(
      "--collector.disable-defaults", flags.disable_defaults,
      "Turn off every collector that is on by default; enable some with --collector.NAME.");
  for (const auto& module : modules) {
    const CollectorInfo& info = module->info();
    const std::string name(info.name);
    app.add_flag_function(
        absl::StrCat("--collector.", name, ",!--no-collector.", name),
        [&flags, name](int64_t count) { flags.collector_choice[name] = count > 0; },
        absl::StrCat("Enable the ", name, " collector: ", std::string(info.help),
                     " (default: ", info.enabled_by_default ? "enabled" : "disabled", ")."));
    module->AddFlags(app);
  }
  app.set_version_flag("--version", VersionText());
}

std::string VersionText() {
  return absl::StrCat("strata_exporter, version ", kVersion, " (branch: ", kBranch,
                      ", revision: ", kRevision, ")\n  build date:       ", kBuildDate,
                      "\n  compiler:         ", kCompiler, "\n  platform:         ", kPlatform);
}

ParsedCommandLine ParseCommandLine(int argc, char** argv, ExporterFlags& flags,
                                   const std::vector<std::unique_ptr<CollectorModule>>& modules) {
  CLI::App app(
      "strata_exporter: a Prometheus exporter for cgroups, the hypervisor and "
      "configuration convergence.",
      "strata_exporter");
  app.option_defaults()->always_capture_default();
  DefineFlags(app, flags, modules);
  // CLI11 2.1 reads "--flag=" as "--flag" and then takes the next argument
  // as its value; spell an empty value as a separate empty argument instead.
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t equals = arg.find('=');
    if (i > 0 && arg.rfind("--", 0) == 0 && equals == arg.size() - 1) {
      args.push_back(arg.substr(0, equals));
      args.emplace_back();
    } else {
      args.push_back(std::move(arg));
    }
  }
  std::vector<char*> fixed_argv;
  for (std::string& arg : args) fixed_argv.push_back(arg.data());
  try {
    app.parse(static_cast<int>(fixed_argv.size()), fixed_argv.data());
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return {0};
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return {0};
  } catch (const CLI::CallForVersion&) {
    std::cout << app.version() << "\n";
    return {0};
  } catch (const CLI::ParseError& e) {
    std::cerr << "strata_exporter: error: " << OneLine(e.what()) << " (see --help)\n";
    return {2};
  }
  return {};
}

}  // namespace strata
