// strata_exporter: parses flags, builds the enabled collectors, serves
// /metrics until SIGTERM or SIGINT, then drains in-flight scrapes and exits 0.
// SIGHUP is logged and otherwise harmless.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/logging.h"
#include "collectors/registry.h"
#include "exporter/build_info.h"
#include "exporter/flags.h"
#include "exporter/http_server.h"
#include "exporter/listen_address.h"
#include "exporter/process_metrics.h"
#include "exporter/scraper.h"
#include "exporter/web_handler.h"

namespace strata {
namespace {

// Signals that end the exporter, and SIGHUP (whose default action would end
// it silently); blocked in every thread and taken by sigwait.
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

int Run(int argc, char** argv) {
  // Before any thread starts, so every thread inherits the mask.
  sigset_t termination = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &termination, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::unique_ptr<CollectorModule>> modules = AllCollectorModules();
  ExporterFlags flags;
  ParsedCommandLine parsed = ParseCommandLine(argc, argv, flags, modules);
  if (parsed.exit_code >= 0) return parsed.exit_code;

  Logger logger(flags.log_level, std::cerr, flags.log_format);
  std::unique_ptr<HostFs> host_fs = NewRealHostFs(flags.paths);
  std::unique_ptr<HostFs> own_proc = NewRealHostFs(HostPaths{});

  std::vector<Scraper::NamedCollector> collectors;
  const CollectorContext context{*host_fs, logger};
  for (const auto& module : modules) {
    const CollectorInfo& info = module->info();
    if (!flags.Enabled(info)) continue;
    absl::StatusOr<std::unique_ptr<Collector>> collector = module->Create(context);
    if (!collector.ok()) {
      logger.Error("cannot create collector", {{"collector", std::string(info.name)},
                                               {"err", std::string(collector.status().message())}});
      return 1;
    }
    collectors.push_back({std::string(info.name), *std::move(collector)});
  }
  Scraper scraper(std::move(collectors), logger);
  ProcessMetrics process(*own_proc);

  WebOptions web;
  web.telemetry_path = flags.telemetry_path;
  web.scrape_timeout = flags.scrape_timeout;
  web.scrape_timeout_offset = flags.scrape_timeout_offset;
  web.exporter_metrics = !flags.disable_exporter_metrics;
  WebHandler handler(web, scraper, web.exporter_metrics ? &process : nullptr, logger);

  // Bind every address before serving any, so a bad one fails start-up cleanly.
  std::vector<ListeningSocket> sockets;
  auto close_all = [&sockets] {
    for (const ListeningSocket& socket : sockets) close(socket.fd);
  };
  for (const std::string& text : flags.listen_addresses) {
    absl::StatusOr<ListenAddress> address = ParseListenAddress(text);
    absl::StatusOr<ListeningSocket> socket =
        address.ok() ? Listen(*address) : absl::StatusOr<ListeningSocket>(address.status());
    if (!socket.ok()) {
      logger.Error("cannot listen",
                   {{"address", text}, {"err", std::string(socket.status().message())}});
      close_all();
      return 1;
    }
    sockets.push_back(*socket);
  }

  HttpServerOptions server_options;
  server_options.max_connections = flags.max_requests;
  std::vector<std::unique_ptr<HttpServer>> servers;
  for (size_t i = 0; i < sockets.size(); ++i) {
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
        sockets[i].fd, [&handler](const HttpRequest& r) { return handler.Handle(r); },
        server_options, logger);
    if (!server.ok()) {
      logger.Error("cannot serve", {{"address", flags.listen_addresses[i]},
                                    {"err", std::string(server.status().message())}});
      for (size_t j = i + 1; j < sockets.size(); ++j) close(sockets[j].fd);
      return 1;
    }
    servers.push_back(*std::move(server));
    logger.Info("listening", {{"address", flags.listen_addresses[i]},
                              {"port", std::to_string(sockets[i].port)}});
  }
  logger.Info("strata_exporter started", {{"version", kVersion},
                                          {"revision", kRevision},
                                          {"collectors", absl::StrJoin(scraper.names(), ",")},
                                          {"telemetry_path", flags.telemetry_path}});

  int signal_number = 0;
  while (sigwait(&termination, &signal_number) == 0 && signal_number == SIGHUP) {
    logger.Info("SIGHUP received; the exporter keeps running", {{"signal", "SIGHUP"}});
  }
  logger.Info("shutting down", {{"signal", strsignal(signal_number)}});

  // In-flight scrapes end within their own deadline; allow that and a little more.
  const absl::Time deadline = absl::Now() + flags.scrape_timeout + absl::Seconds(2);
  for (auto& server : servers) server->Shutdown(deadline);
  if (!scraper.AwaitIdle(deadline)) {
    // A hung collector still holds references to what Run owns: leave
    // without running destructors under it.
    logger.Warn("a collector is still running at exit");
    std::_Exit(0);
  }
  logger.Info("stopped");
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) { return strata::Run(argc, argv); }
