// strata_exporter: parses flags, builds the enabled collectors, serves
// /metrics until SIGTERM or SIGINT, then drains in-flight scrapes and exits 0.
// SIGHUP reloads --web.config.file, and is logged either way.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
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
#include "exporter/systemd_socket.h"
#include "exporter/web_handler.h"
#include "exporter/web_security.h"

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

// Raises the soft limit on open files to the hard one, as Go programs such as
// node_exporter do at start: each connection costs two descriptors here.
// Returns the limit in force.
rlim_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// Logs what a loaded web config means for the listeners.
void LogWebSecurity(const Logger& logger, const WebSecurity& security) {
  for (const std::string& warning : security.warnings) logger.Warn(warning);
  logger.Info("web config loaded",
              {{"tls", security.tls != nullptr ? "on" : "off"},
               {"basic_auth", security.auth != nullptr ? "on" : "off"},
               {"tls_priority", security.tls != nullptr ? security.tls->priority() : ""}});
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
  const rlim_t open_files = RaiseOpenFileLimit();

  // The web config first: a broken one ends start-up with one line, before
  // anything listens.
  std::unique_ptr<WebSecurityHolder> security;
  if (!flags.web_config_file.empty()) {
    absl::StatusOr<std::shared_ptr<const WebSecurity>> loaded =
        LoadWebSecurity(flags.web_config_file);
    if (!loaded.ok()) {
      logger.Error("cannot load the web config", {{"err", std::string(loaded.status().message())}});
      return 1;
    }
    LogWebSecurity(logger, **loaded);
    security = std::make_unique<WebSecurityHolder>(*std::move(loaded));
  }
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
  std::vector<std::string> names;  // what each socket is, for the log
  if (flags.systemd_socket) {
    absl::StatusOr<std::vector<ListeningSocket>> passed = SystemdListeningSockets();
    if (!passed.ok()) {
      logger.Error("cannot listen", {{"err", std::string(passed.status().message())}});
      return 1;
    }
    sockets = *std::move(passed);
    for (const ListeningSocket& socket : sockets) {
      names.push_back(absl::StrCat("systemd socket fd ", socket.fd));
    }
  }
  for (const std::string& text :
       flags.systemd_socket ? std::vector<std::string>{} : flags.listen_addresses) {
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
    names.push_back(text);
  }

  // Scrapes are limited (503 over the limit); connections get a far larger
  // bound so idle or slow sockets cannot take the scrapes' places.
  RequestLimit scrape_limit(flags.max_requests, logger);
  HttpServerOptions server_options;
  server_options.limited_path = flags.telemetry_path;
  server_options.limit = &scrape_limit;
  server_options.security = security.get();
  const rlim_t per_server =
      (open_files > 256 ? open_files - 128 : 128) / 2 / std::max<size_t>(sockets.size(), 1);
  server_options.max_connections = static_cast<unsigned>(
      std::min<rlim_t>(std::max<rlim_t>(4096, 16 * flags.max_requests), per_server));
  std::vector<std::unique_ptr<HttpServer>> servers;
  for (size_t i = 0; i < sockets.size(); ++i) {
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
        sockets[i].fd, [&handler](const HttpRequest& r) { return handler.Handle(r); },
        server_options, logger);
    if (!server.ok()) {
      logger.Error("cannot serve",
                   {{"address", names[i]}, {"err", std::string(server.status().message())}});
      for (size_t j = i + 1; j < sockets.size(); ++j) close(sockets[j].fd);
      return 1;
    }
    servers.push_back(*std::move(server));
    logger.Info("listening", {{"address", names[i]},
                              {"port", std::to_string(sockets[i].port)},
                              {"tls", servers.back()->tls() ? "on" : "off"}});
  }
  logger.Info("strata_exporter started", {{"version", kVersion},
                                          {"revision", kRevision},
                                          {"collectors", absl::StrJoin(scraper.names(), ",")},
                                          {"telemetry_path", flags.telemetry_path}});

  int signal_number = 0;
  while (sigwait(&termination, &signal_number) == 0 && signal_number == SIGHUP) {
    if (security == nullptr) {
      logger.Info("SIGHUP received; nothing to reload (no --web.config.file)");
      continue;
    }
    absl::StatusOr<std::shared_ptr<const WebSecurity>> loaded =
        LoadWebSecurity(flags.web_config_file);
    if (loaded.ok() && ((*loaded)->tls != nullptr) != servers.front()->tls()) {
      loaded = absl::FailedPreconditionError(
          "TLS cannot be switched on or off by a reload; restart the exporter for that");
    }
    if (!loaded.ok()) {
      logger.Error("SIGHUP: keeping the last good web config",
                   {{"err", std::string(loaded.status().message())}});
      continue;
    }
    LogWebSecurity(logger, **loaded);
    security->Set(*std::move(loaded));
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

int main(int argc, char** argv) {
  // One malloc arena for every thread. Each scrape runs its collectors on
  // threads of their own, and glibc's default of up to eight arenas per core
  // lets each keep its own freed memory: at 1,000 cgroups the peak RSS grew
  // 10-13 KB per cgroup with them and 8 KB with one, for the same CPU
  // (docs/design.md).
  mallopt(M_ARENA_MAX, 1);
  return strata::Run(argc, argv);
}
