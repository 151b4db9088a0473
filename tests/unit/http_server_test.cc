#include "exporter/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <sstream>

#include "absl/synchronization/notification.h"
#include "exporter/listen_address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A plain TCP client, so the test sees exactly what goes over the wire.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }

  // Sends one request and reads one response whose body is `body_size` long.
  std::string Exchange(const std::string& request, size_t body_size) {
    if (write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      return "";
    }
    std::string response;
    char buffer[4096];
    while (true) {
      size_t header_end = response.find("\r\n\r\n");
      if (header_end != std::string::npos && response.size() >= header_end + 4 + body_size) {
        return response;
      }
      ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n <= 0) return response;
      response.append(buffer, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServer::Handler handler) {
    auto socket = Listen({"127.0.0.1", 0});
    ASSERT_TRUE(socket.ok()) << socket.status();
    port_ = socket->port;
    auto server = HttpServer::Start(socket->fd, std::move(handler), {}, logger_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::ostringstream log_;
  Logger logger_{LogLevel::kDebug, log_};
  uint16_t port_ = 0;
  std::unique_ptr<HttpServer> server_;
};

HttpResponse Echo(const HttpRequest& request) {
  HttpResponse response;
  response.body = request.path + "|";
  for (const auto& [key, value] : request.query) response.body += key + "=" + value + ";";
  return response;
}

TEST_F(HttpServerTest, KeepsConnectionsAliveAcrossRequests) {
  Start(Echo);
  RawClient client(port_);
  ASSERT_TRUE(client.connected());
  std::string first = client.Exchange("GET /a HTTP/1.1\r\nHost: t\r\n\r\n", 3);
  EXPECT_THAT(first, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(first, Not(HasSubstr("Connection: close")));
  EXPECT_THAT(first, HasSubstr("\r\n\r\n/a|"));
  std::string second = client.Exchange("GET /b HTTP/1.1\r\nHost: t\r\n\r\n", 3);
  EXPECT_THAT(second, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(second, HasSubstr("\r\n\r\n/b|"));
}

TEST_F(HttpServerTest, DecodesRepeatedQueryArguments) {
  Start(Echo);
  RawClient client(port_);
  const std::string want = "/metrics|collect[]=host;collect[]=cgroup;";
  std::string response = client.Exchange(
      "GET /metrics?collect%5B%5D=host&collect[]=cgroup HTTP/1.1\r\nHost: t\r\n\r\n", want.size());
  EXPECT_THAT(response, HasSubstr("\r\n\r\n" + want));
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500AndServerCarriesOn) {
  Start([](const HttpRequest& request) -> HttpResponse {
    if (request.path == "/boom") throw std::runtime_error("kaput");
    return Echo(request);
  });
  RawClient client(port_);
  EXPECT_THAT(client.Exchange("GET /boom HTTP/1.1\r\nHost: t\r\n\r\n", 0),
              StartsWith("HTTP/1.1 500"));
  RawClient again(port_);
  EXPECT_THAT(again.Exchange("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n", 4), HasSubstr("/ok|"));
  EXPECT_THAT(log_.str(), HasSubstr("err=kaput"));
}

TEST_F(HttpServerTest, ShutdownLetsTheRequestInFlightFinish) {
  absl::Notification entered;
  absl::Notification release;
  Start([&](const HttpRequest& request) {
    entered.Notify();
    release.WaitForNotification();
    return Echo(request);
  });
  auto response = std::async(std::launch::async, [port = port_] {
    RawClient client(port);
    return client.Exchange("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n", 6);
  });
  entered.WaitForNotification();
  auto shutdown = std::async(std::launch::async,
                             [this] { server_->Shutdown(absl::Now() + absl::Seconds(10)); });
  // The server stops accepting...
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    refused = !RawClient(port_).connected();
    if (!refused) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(refused);
  // ...but answers the request it already has.
  EXPECT_EQ(shutdown.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.Notify();
  EXPECT_THAT(response.get(), HasSubstr("\r\n\r\n/slow|"));
  shutdown.get();
}

}  // namespace
}  // namespace strata
