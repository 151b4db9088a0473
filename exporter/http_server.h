// An HTTP/1.1 (or HTTPS) server on one listening socket, built on
// libmicrohttpd, that hands every request to a WebHandler-shaped function.
//
// Why libmicrohttpd: see docs/design.md. Each connection gets its own thread,
// so a slow scrape never delays another. What keeps abuse bounded:
//   - a connection must deliver a whole request within `header_timeout` of
//     arriving (or of its previous answer plus the idle timeout); one that
//     does not, such as a client sending a byte a second, is cut off;
//   - the connection limit is well above the request limit, so idle sockets
//     cannot take the slots that scrapes need;
//   - requests for `limited_path` (the metrics) share a RequestLimit; over it
//     the answer is 503, and the refusals are logged at most once a minute.
// With a WebSecurityHolder, every answer carries its headers, its rate limit
// and basic auth apply, and (when the holder's config had TLS at start) the
// socket speaks only TLS with the holder's current material: a reload changes
// the next handshake. Shutdown stops accepting, lets in-flight requests
// finish up to a deadline, then closes. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/logging.h"
#include "exporter/web_handler.h"
#include "exporter/web_security.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace strata {

// A bound on concurrent requests, shared by the servers of every listening
// socket. Refusals are counted and logged at most once per `log_interval`.
class RequestLimit {
 public:
  RequestLimit(unsigned max_in_flight, const Logger& logger,
               absl::Duration log_interval = absl::Minutes(1));
  // Takes a slot, or counts (and maybe logs) a refusal and returns false.
  bool TryAcquire();
  void Release();
  unsigned max_in_flight() const { return max_; }

 private:
  const unsigned max_;
  const Logger& logger_;
  const absl::Duration log_interval_;
  absl::Mutex mu_;
  unsigned in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t refused_unlogged_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

struct HttpServerOptions {
  // Open connections; more are closed as they arrive.
  unsigned max_connections = 1024;
  // A kept-alive connection with no request for this long is closed.
  unsigned idle_timeout_seconds = 120;
  // Time a new connection has to deliver its first request, whole.
  absl::Duration header_timeout = absl::Seconds(5);
  // Requests whose path is this (every request when empty) take a slot of
  // `limit`; null: no limit.
  std::string limited_path;
  RequestLimit* limit = nullptr;
  // Null: plain HTTP, no authentication, no extra headers.
  const WebSecurityHolder* security = nullptr;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Serves on `listen_fd`, which the server takes over and closes. With a
  // security holder whose current config has TLS, the socket serves TLS
  // only, for the server's lifetime.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(int listen_fd, Handler handler,
                                                           const HttpServerOptions& options,
                                                           const Logger& logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Whether this server speaks TLS (fixed at Start).
  bool tls() const { return tls_; }

  // Stops accepting connections, waits for requests being answered until
  // `deadline`, then closes every connection. Idempotent.
  void Shutdown(absl::Time deadline);

 private:
  struct Connection;

  HttpServer(Handler handler, const HttpServerOptions& options, const Logger& logger);
  // Cuts off connections past their deadline until Shutdown.
  void ReapLoop();

  // libmicrohttpd's callbacks, defined in the .cc file.
  friend struct HttpServerCallbacks;

  const Handler handler_;
  const HttpServerOptions options_;
  const Logger& logger_;
  bool tls_ = false;
  MHD_Daemon* daemon_ = nullptr;
  int listen_fd_ = -1;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex connections_mu_;
  absl::flat_hash_set<Connection*> connections_ ABSL_GUARDED_BY(connections_mu_);
  bool stopping_ ABSL_GUARDED_BY(connections_mu_) = false;
  uint64_t cut_unlogged_ ABSL_GUARDED_BY(connections_mu_) = 0;
  absl::Time last_cut_log_ ABSL_GUARDED_BY(connections_mu_) = absl::InfinitePast();
  std::thread reaper_;
};

}  // namespace strata
