// An HTTP/1.1 server on one listening socket, built on libmicrohttpd, that
// hands every request to a WebHandler-shaped function.
//
// Why libmicrohttpd: see docs/design.md. Each connection
// gets its own thread (bounded by max_connections), so a slow scrape never
// delays another. Shutdown stops accepting, lets in-flight requests finish
// up to a deadline, then closes. Thread-safe.
#pragma once

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/logging.h"
#include "exporter/web_handler.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace strata {

struct HttpServerOptions {
  unsigned max_connections = 40;
  unsigned idle_timeout_seconds = 120;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Serves on `listen_fd`, which the server takes over and closes.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(int listen_fd, Handler handler,
                                                           const HttpServerOptions& options,
                                                           const Logger& logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting connections, waits for requests being answered until
  // `deadline`, then closes every connection. Idempotent.
  void Shutdown(absl::Time deadline);

 private:
  HttpServer(Handler handler, const Logger& logger);

  // libmicrohttpd's callbacks, defined in the .cc file.
  friend struct HttpServerCallbacks;

  const Handler handler_;
  const Logger& logger_;
  MHD_Daemon* daemon_ = nullptr;
  int listen_fd_ = -1;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata
