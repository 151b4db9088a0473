#include "exporter/http_server.h"

#include <microhttpd.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

// Marks a request that OnRequest has counted as in flight.
char kCounted;

MHD_Result CollectQueryArgument(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* query = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  query->emplace_back(key != nullptr ? key : "", value != nullptr ? value : "");
  return MHD_YES;
}

std::string HeaderValue(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? value : "";
}

void LogFromLibrary(void* cls, const char* format, va_list args) {
  char message[512];
  vsnprintf(message, sizeof(message), format, args);
  absl::string_view text = absl::StripTrailingAsciiWhitespace(message);
  static_cast<const Logger*>(cls)->Debug("http server", {{"detail", std::string(text)}});
}

}  // namespace

struct HttpServerCallbacks {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char* version, const char* upload_data,
                              size_t* upload_data_size, void** request_state);
  static void OnCompleted(void* cls, MHD_Connection* connection, void** request_state,
                          MHD_RequestTerminationCode termination_code);
};

HttpServer::HttpServer(Handler handler, const Logger& logger)
    : handler_(std::move(handler)), logger_(logger) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(int listen_fd, Handler handler,
                                                              const HttpServerOptions& options,
                                                              const Logger& logger) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler), logger));
  server->listen_fd_ = listen_fd;
  server->daemon_ =
      MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                           MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
                       0, nullptr, nullptr, &HttpServerCallbacks::OnRequest, server.get(),
                       // First, so that libmicrohttpd's own messages go to our log from the start.
                       MHD_OPTION_EXTERNAL_LOGGER, &LogFromLibrary,
                       static_cast<const void*>(&logger), MHD_OPTION_LISTEN_SOCKET, listen_fd,
                       MHD_OPTION_NOTIFY_COMPLETED, &HttpServerCallbacks::OnCompleted, server.get(),
                       MHD_OPTION_CONNECTION_LIMIT, options.max_connections,
                       MHD_OPTION_CONNECTION_TIMEOUT, options.idle_timeout_seconds, MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    close(listen_fd);
    server->listen_fd_ = -1;
    return absl::InternalError("libmicrohttpd could not start serving on the socket");
  }
  return server;
}

HttpServer::~HttpServer() { Shutdown(absl::Now()); }

void HttpServer::Shutdown(absl::Time deadline) {
  if (daemon_ == nullptr) return;
  // Stop accepting first, so the wait below only covers requests already in.
  MHD_quiesce_daemon(daemon_);
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&idle), deadline)) {
      logger_.Warn("closing connections with requests still in flight", {});
    }
  }
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

MHD_Result HttpServerCallbacks::OnRequest(void* cls, MHD_Connection* connection, const char* url,
                                          const char* method, const char* /*version*/,
                                          const char* /*upload_data*/, size_t* upload_data_size,
                                          void** request_state) {
  auto* self = static_cast<HttpServer*>(cls);
  if (*request_state == nullptr) {
    // First call: headers only. Answering now would make libmicrohttpd close
    // the connection, so wait for the call that follows the (empty) body.
    *request_state = &kCounted;
    absl::MutexLock lock(&self->mu_);
    ++self->in_flight_;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    // No endpoint reads a body; consume and drop it.
    *upload_data_size = 0;
    return MHD_YES;
  }

  HttpRequest request;
  request.method = method;
  request.path = url;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectQueryArgument,
                            &request.query);
  request.accept_encoding = HeaderValue(connection, "Accept-Encoding");
  request.scrape_timeout_header = HeaderValue(connection, "X-Prometheus-Scrape-Timeout-Seconds");

  HttpResponse answer;
  try {
    answer = self->handler_(request);
  } catch (const std::exception& e) {
    self->logger_.Error("request failed", {{"path", request.path}, {"err", e.what()}});
    answer = HttpResponse{500, "text/plain; charset=utf-8", {}, "500 internal server error\n"};
  }
  MHD_Response* response = MHD_create_response_from_buffer(answer.body.size(), answer.body.data(),
                                                           MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", answer.content_type.c_str());
  for (const auto& [name, value] : answer.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  MHD_Result queued = MHD_queue_response(connection, answer.status, response);
  MHD_destroy_response(response);
  return queued;
}

void HttpServerCallbacks::OnCompleted(void* cls, MHD_Connection* /*connection*/,
                                      void** request_state,
                                      MHD_RequestTerminationCode /*termination_code*/) {
  if (*request_state != &kCounted) return;
  *request_state = nullptr;
  auto* self = static_cast<HttpServer*>(cls);
  absl::MutexLock lock(&self->mu_);
  --self->in_flight_;
}

}  // namespace strata
