#include "exporter/listen_address.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

// Closes a descriptor when the test ends, however it ends.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Whether a blocking TCP connect to 127.0.0.1:`port` succeeds.
bool ConnectsOverIpv4Loopback(uint16_t port) {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

// Whether this kernel can bind a socket to ::1.
bool HasIpv6Loopback() {
  ScopedFd fd(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

TEST(ParseListenAddress, SplitsHostAndPort) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  const Case cases[] = {
      {":10299", "", 10299},
      {":0", "", 0},
      {"127.0.0.1:80", "127.0.0.1", 80},
      {"[::1]:9", "::1", 9},
      {"[::]:65535", "::", 65535},
      {"[fe80::1%eth0]:9100", "fe80::1%eth0", 9100},
      {"localhost:1", "localhost", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ListenAddress> address = ParseListenAddress(c.text);
    ASSERT_TRUE(address.ok()) << address.status();
    EXPECT_EQ(address->host, c.host);
    EXPECT_EQ(address->port, c.port);
  }
}

TEST(ParseListenAddress, RejectsMalformedAddresses) {
  struct Case {
    const char* text;
    const char* says;  // part of the message
  };
  const Case cases[] = {
      {"10299", "no port"},     {"", "no port"},
      {":", "bad port"},        {":70000", "bad port \"70000\""},
      {":65536", "bad port"},   {":abc", "bad port \"abc\""},
      {":-1", "bad port"},      {"127.0.0.1:", "bad port"},
      {"::1:80", "brackets"},   {"fe80::1:80", "brackets"},
      {"[::1:80", "lacks ']'"}, {"[::1]", "bad port"},
      {"[[::1]]:80", "stray"},  {"host]:80", "stray"},
      {"[a[b]:80", "stray"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ListenAddress> address = ParseListenAddress(c.text);
    EXPECT_TRUE(absl::IsInvalidArgument(address.status())) << address.status();
    EXPECT_THAT(address.status().message(), HasSubstr(c.says));
    EXPECT_THAT(address.status().message(), HasSubstr(std::string("\"") + c.text + "\""));
  }
}

TEST(Listen, BindsAnEphemeralPortOnIpv4Loopback) {
  absl::StatusOr<ListeningSocket> socket = Listen({"127.0.0.1", 0});
  ASSERT_TRUE(socket.ok()) << socket.status();
  ScopedFd fd(socket->fd);
  EXPECT_GE(socket->fd, 0);
  EXPECT_NE(socket->port, 0);
  const int flags = fcntl(socket->fd, F_GETFL);
  EXPECT_TRUE(flags & O_NONBLOCK);
  EXPECT_TRUE(fcntl(socket->fd, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(ConnectsOverIpv4Loopback(socket->port));
}

TEST(Listen, PortInUseIsAlreadyExistsAndSaysSo) {
  absl::StatusOr<ListeningSocket> first = Listen({"127.0.0.1", 0});
  ASSERT_TRUE(first.ok()) << first.status();
  ScopedFd first_fd(first->fd);

  absl::StatusOr<ListeningSocket> second = Listen({"127.0.0.1", first->port});
  if (second.ok()) close(second->fd);
  ASSERT_TRUE(absl::IsAlreadyExists(second.status())) << second.status();
  const std::string message = absl::AsciiStrToLower(second.status().message());
  EXPECT_THAT(message, HasSubstr("address already in use"));
  EXPECT_THAT(message, HasSubstr("127.0.0.1:" + std::to_string(first->port)));
}

TEST(Listen, EmptyHostListensOnEveryAddress) {
  absl::StatusOr<ListeningSocket> socket = Listen({"", 0});
  ASSERT_TRUE(socket.ok()) << socket.status();
  ScopedFd fd(socket->fd);
  EXPECT_NE(socket->port, 0);
  // IPv4 clients reach it, through the dual-stack socket or the IPv4 fallback.
  EXPECT_TRUE(ConnectsOverIpv4Loopback(socket->port));
}

TEST(Listen, BindsIpv6Loopback) {
  if (!HasIpv6Loopback()) GTEST_SKIP() << "this kernel has no IPv6 loopback address";
  absl::StatusOr<ListeningSocket> socket = Listen({"::1", 0});
  ASSERT_TRUE(socket.ok()) << socket.status();
  ScopedFd fd(socket->fd);
  EXPECT_NE(socket->port, 0);

  absl::StatusOr<ListeningSocket> second = Listen({"::1", socket->port});
  if (second.ok()) close(second->fd);
  EXPECT_TRUE(absl::IsAlreadyExists(second.status())) << second.status();
  // IPv6 hosts are bracketed in messages, as on the command line.
  EXPECT_THAT(second.status().message(), HasSubstr("[::1]:" + std::to_string(socket->port)));
}

TEST(Listen, UnresolvableHostFailsNamingTheHost) {
  absl::StatusOr<ListeningSocket> socket = Listen({"no-such-host.invalid", 0});
  if (socket.ok()) close(socket->fd);
  ASSERT_FALSE(socket.ok());
  EXPECT_THAT(socket.status().message(), HasSubstr("no-such-host.invalid"));
}

}  // namespace
}  // namespace strata
