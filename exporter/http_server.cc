#include "exporter/http_server.h"

#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

// What the server keeps per request (libmicrohttpd's request context): made
// when the request line arrives, freed when the request completes.
struct RequestState {
  // The target as the client sent it, before percent-decoding: libmicrohttpd
  // decodes "%00" and cuts the path there, so only this shows it was sent.
  std::string raw_target;
  bool counted = false;  // OnRequest counted it as in flight
};

void* OnRequestLine(void* /*cls*/, const char* uri, MHD_Connection* /*connection*/) {
  auto* request = new RequestState;
  request->raw_target = uri != nullptr ? uri : "";
  return request;
}

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

HttpResponse PlainResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

// What the server keeps per open connection (libmicrohttpd's socket context).
struct HttpServer::Connection {
  HttpServer* server = nullptr;
  // A duplicate of the socket, so the reaper can shut it down without racing
  // libmicrohttpd's close and a reuse of the number.
  int fd = -1;
  // The config the connection started with: its TLS material stays alive as
  // long as the TLS session that uses it.
  std::shared_ptr<const WebSecurity> security;
  // When the reaper cuts the connection off; infinite while a request is
  // being answered. Guarded by the server's connections_mu_.
  absl::Time deadline;
  bool cut = false;
};

RequestLimit::RequestLimit(unsigned max_in_flight, const Logger& logger,
                           absl::Duration log_interval)
    : max_(max_in_flight), logger_(logger), log_interval_(log_interval) {}

bool RequestLimit::TryAcquire() {
  absl::MutexLock lock(&mu_);
  if (in_flight_ < max_) {
    ++in_flight_;
    return true;
  }
  ++refused_unlogged_;
  const absl::Time now = absl::Now();
  if (now - last_log_ >= log_interval_) {
    logger_.Warn("too many scrapes in flight; answered 503",
                 {{"limit", std::to_string(max_)},
                  {"refused", std::to_string(refused_unlogged_)},
                  {"hint", "raise --web.max-requests if this is expected"}});
    refused_unlogged_ = 0;
    last_log_ = now;
  }
  return false;
}

void RequestLimit::Release() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

struct HttpServerCallbacks {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char* version, const char* upload_data,
                              size_t* upload_data_size, void** request_state);
  static void OnCompleted(void* cls, MHD_Connection* connection, void** request_state,
                          MHD_RequestTerminationCode termination_code);
  static void OnConnection(void* cls, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code);
  static HttpServer::Connection* FromSession(gnutls_session_t session);
  static int RetrieveCertificate(gnutls_session_t session, const gnutls_datum_t* req_ca_rdn,
                                 int nreqs, const gnutls_pk_algorithm_t* pk_algos,
                                 int pk_algos_length, gnutls_pcert_st** pcert,
                                 unsigned int* pcert_length, gnutls_privkey_t* key);
  static int VerifyClient(gnutls_session_t session);
};

HttpServer::HttpServer(Handler handler, const HttpServerOptions& options, const Logger& logger)
    : handler_(std::move(handler)), options_(options), logger_(logger) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(int listen_fd, Handler handler,
                                                              const HttpServerOptions& options,
                                                              const Logger& logger) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler), options, logger));
  server->listen_fd_ = listen_fd;
  std::shared_ptr<const WebSecurity> security =
      options.security != nullptr ? options.security->Get() : nullptr;
  server->tls_ = security != nullptr && security->tls != nullptr;
  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                       MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (server->tls_) flags |= MHD_USE_TLS;
  MHD_OptionItem tls_options[] = {
      {server->tls_ ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, 0,
       reinterpret_cast<void*>(&HttpServerCallbacks::RetrieveCertificate)},
      {MHD_OPTION_END, 0, nullptr},
  };
  server->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &HttpServerCallbacks::OnRequest, server.get(),
      // First, so that libmicrohttpd's own messages go to our log from the start.
      MHD_OPTION_EXTERNAL_LOGGER, &LogFromLibrary, static_cast<const void*>(&logger),
      MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED,
      &HttpServerCallbacks::OnCompleted, server.get(), MHD_OPTION_NOTIFY_CONNECTION,
      &HttpServerCallbacks::OnConnection, server.get(), MHD_OPTION_CONNECTION_LIMIT,
      options.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, options.idle_timeout_seconds,
      MHD_OPTION_URI_LOG_CALLBACK, &OnRequestLine, nullptr,
      // Room for a request line with thousands of query parameters (each
      // takes a header record in the connection's pool), so the handler can
      // answer 400. With the default 32 KiB, 2,000 parameters closed the
      // connection without any answer; now that happens past about 3,000.
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(256 << 10), MHD_OPTION_ARRAY,
      tls_options, MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    close(listen_fd);
    server->listen_fd_ = -1;
    return absl::InternalError("libmicrohttpd could not start serving on the socket");
  }
  server->reaper_ = std::thread([s = server.get()] { s->ReapLoop(); });
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
  {
    absl::MutexLock lock(&connections_mu_);
    stopping_ = true;
  }
  if (reaper_.joinable()) reaper_.join();
}

void HttpServer::ReapLoop() {
  absl::MutexLock lock(&connections_mu_);
  while (true) {
    const absl::Condition stopping(&stopping_);
    connections_mu_.AwaitWithTimeout(stopping, absl::Milliseconds(100));
    if (stopping_) return;
    const absl::Time now = absl::Now();
    for (Connection* connection : connections_) {
      if (connection->cut || now < connection->deadline) continue;
      // The connection's thread sees the end of the stream and closes it.
      shutdown(connection->fd, SHUT_RDWR);
      connection->cut = true;
      ++cut_unlogged_;
    }
    if (cut_unlogged_ > 0 && now - last_cut_log_ >= absl::Minutes(1)) {
      logger_.Warn("closed connections that sent no complete request in time",
                   {{"connections", std::to_string(cut_unlogged_)},
                    {"timeout", absl::FormatDuration(options_.header_timeout)}});
      cut_unlogged_ = 0;
      last_cut_log_ = now;
    }
  }
}

HttpServer::Connection* HttpServerCallbacks::FromSession(gnutls_session_t session) {
  // libmicrohttpd keeps its connection as the session's pointer; checked when
  // the connection starts.
  auto* connection = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
  if (connection == nullptr) return nullptr;
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info != nullptr ? static_cast<HttpServer::Connection*>(info->socket_context) : nullptr;
}

int HttpServerCallbacks::RetrieveCertificate(gnutls_session_t session, const gnutls_datum_t*, int,
                                             const gnutls_pk_algorithm_t*, int,
                                             gnutls_pcert_st** pcert, unsigned int* pcert_length,
                                             gnutls_privkey_t* key) {
  HttpServer::Connection* connection = FromSession(session);
  if (connection == nullptr || connection->security == nullptr ||
      connection->security->tls == nullptr) {
    return GNUTLS_E_INTERNAL_ERROR;
  }
  connection->security->tls->Certificate(pcert, pcert_length, key);
  return 0;
}

int HttpServerCallbacks::VerifyClient(gnutls_session_t session) {
  HttpServer::Connection* connection = FromSession(session);
  if (connection == nullptr || connection->security == nullptr ||
      connection->security->tls == nullptr) {
    return GNUTLS_E_CERTIFICATE_ERROR;
  }
  const int rc = connection->security->tls->Verify(session);
  if (rc != 0) {
    connection->server->logger_.Debug("refused a client certificate",
                                      {{"err", gnutls_strerror(rc)}});
  }
  return rc;
}

void HttpServerCallbacks::OnConnection(void* cls, MHD_Connection* connection, void** socket_context,
                                       MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<HttpServer*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* state = new HttpServer::Connection();
    state->server = self;
    const MHD_ConnectionInfo* fd_info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    state->fd = fd_info != nullptr ? fcntl(fd_info->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
    state->deadline = absl::Now() + self->options_.header_timeout;
    *socket_context = state;
    if (self->options_.security != nullptr) state->security = self->options_.security->Get();
    bool refuse = state->fd < 0;
    if (self->tls_ && !refuse) {
      const MHD_ConnectionInfo* tls_info =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
      auto session =
          tls_info != nullptr ? static_cast<gnutls_session_t>(tls_info->tls_session) : nullptr;
      if (session == nullptr || gnutls_session_get_ptr(session) != connection ||
          state->security == nullptr || state->security->tls == nullptr) {
        self->logger_.Error("cannot set up TLS for a connection", {});
        refuse = true;
      } else if (absl::Status s =
                     state->security->tls->Apply(session, &HttpServerCallbacks::VerifyClient);
                 !s.ok()) {
        self->logger_.Error("cannot set up TLS for a connection",
                            {{"err", std::string(s.message())}});
        refuse = true;
      }
    }
    absl::MutexLock lock(&self->connections_mu_);
    if (refuse) {
      // Without a duplicate to cut it off by, or without TLS set up, the
      // connection must not be served at all.
      state->deadline = absl::InfinitePast();
      if (fd_info != nullptr) shutdown(fd_info->connect_fd, SHUT_RDWR);
      state->cut = true;
    }
    self->connections_.insert(state);
    return;
  }
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    auto* state = static_cast<HttpServer::Connection*>(*socket_context);
    if (state == nullptr) return;
    {
      absl::MutexLock lock(&self->connections_mu_);
      self->connections_.erase(state);
    }
    if (state->fd >= 0) close(state->fd);
    delete state;
    *socket_context = nullptr;
  }
}

MHD_Result HttpServerCallbacks::OnRequest(void* cls, MHD_Connection* connection, const char* url,
                                          const char* method, const char* /*version*/,
                                          const char* /*upload_data*/, size_t* upload_data_size,
                                          void** request_state) {
  auto* self = static_cast<HttpServer*>(cls);
  auto* request_line = static_cast<RequestState*>(*request_state);
  if (request_line == nullptr) {  // OnRequestLine always runs first; never trust it blindly
    request_line = new RequestState;
    *request_state = request_line;
  }
  if (!request_line->counted) {
    // First call: headers only. Answering now would make libmicrohttpd close
    // the connection, so wait for the call that follows the (empty) body.
    request_line->counted = true;
    absl::MutexLock lock(&self->mu_);
    ++self->in_flight_;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    // No endpoint reads a body; consume and drop it (still within the
    // connection's deadline, so a slow body is cut off like slow headers).
    *upload_data_size = 0;
    return MHD_YES;
  }

  // The whole request is in: the deadline no longer applies while it is answered.
  const MHD_ConnectionInfo* context =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  auto* state =
      context != nullptr ? static_cast<HttpServer::Connection*>(context->socket_context) : nullptr;
  if (state != nullptr) {
    absl::MutexLock lock(&self->connections_mu_);
    if (state->cut) return MHD_NO;
    state->deadline = absl::InfiniteFuture();
  }

  HttpRequest request;
  request.method = method;
  request.path = url;
  request.raw_target = request_line->raw_target;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectQueryArgument,
                            &request.query);
  request.accept_encoding = HeaderValue(connection, "Accept-Encoding");
  request.scrape_timeout_header = HeaderValue(connection, "X-Prometheus-Scrape-Timeout-Seconds");

  // Authentication and limits use the current config, so a reload applies to
  // kept-alive connections too.
  std::shared_ptr<const WebSecurity> security =
      self->options_.security != nullptr ? self->options_.security->Get() : nullptr;
  HttpResponse answer;
  if (security != nullptr && security->rate_limiter != nullptr &&
      !security->rate_limiter->Allow(absl::Now())) {
    answer = PlainResponse(429, "Too Many Requests\n");
  } else if (security != nullptr && security->auth != nullptr &&
             !security->auth->Allows(HeaderValue(connection, "Authorization"))) {
    answer = PlainResponse(401, "Unauthorized\n");
    answer.headers.push_back({"WWW-Authenticate", "Basic"});
  } else {
    RequestLimit* limit = self->options_.limit;
    const bool limited = limit != nullptr && (self->options_.limited_path.empty() ||
                                              request.path == self->options_.limited_path);
    if (limited && !limit->TryAcquire()) {
      answer = PlainResponse(503, absl::StrCat("Limit of concurrent requests reached (",
                                               limit->max_in_flight(), "), try again later.\n"));
    } else {
      try {
        answer = self->handler_(request);
      } catch (const std::exception& e) {
        self->logger_.Error("request failed", {{"path", request.path}, {"err", e.what()}});
        answer = PlainResponse(500, "500 internal server error\n");
      }
      if (limited) limit->Release();
    }
  }
  if (security != nullptr) {
    answer.headers.insert(answer.headers.end(), security->headers.begin(), security->headers.end());
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

void HttpServerCallbacks::OnCompleted(void* cls, MHD_Connection* connection, void** request_state,
                                      MHD_RequestTerminationCode /*termination_code*/) {
  auto* request_line = static_cast<RequestState*>(*request_state);
  if (request_line == nullptr) return;
  const bool counted = request_line->counted;
  delete request_line;
  *request_state = nullptr;
  if (!counted) return;
  auto* self = static_cast<HttpServer*>(cls);
  const MHD_ConnectionInfo* context =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  auto* state =
      context != nullptr ? static_cast<HttpServer::Connection*>(context->socket_context) : nullptr;
  if (state != nullptr) {
    // Kept alive: the next request must be whole within the idle timeout.
    absl::MutexLock lock(&self->connections_mu_);
    state->deadline = absl::Now() + absl::Seconds(self->options_.idle_timeout_seconds);
  }
  absl::MutexLock lock(&self->mu_);
  --self->in_flight_;
}

}  // namespace strata
