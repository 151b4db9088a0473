#include "exporter/listen_address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

std::string Describe(const ListenAddress& address) {
  if (address.host.find(':') != std::string::npos) {
    return absl::StrCat("[", address.host, "]:", address.port);
  }
  return absl::StrCat(address.host, ":", address.port);
}

absl::Status SocketError(const ListenAddress& address, absl::string_view step, int err) {
  std::string message =
      absl::StrCat("listen tcp ", Describe(address), ": ", step, ": ", std::strerror(err));
  if (err == EADDRINUSE) return absl::AlreadyExistsError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

// Binds and listens on one resolved address; returns the descriptor.
absl::StatusOr<int> BindOne(const ListenAddress& address, const sockaddr* addr, socklen_t len,
                            bool dual_stack) {
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return SocketError(address, "socket", errno);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (dual_stack) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  }
  if (bind(fd, addr, len) != 0) {
    int err = errno;
    close(fd);
    return SocketError(address, "bind", err);
  }
  if (listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    close(fd);
    return SocketError(address, "listen", err);
  }
  return fd;
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", text, "\" has no port (want HOST:PORT or :PORT)"));
  }
  absl::string_view host = text.substr(0, colon);
  absl::string_view port_text = text.substr(colon + 1);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", text, "\" has a bad port \"", port_text, "\""));
  }
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) {
      return absl::InvalidArgumentError(absl::StrCat("listen address \"", text, "\" lacks ']'"));
    }
  } else if (host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", text, "\": write IPv6 hosts in brackets, [::1]:PORT"));
  }
  if (host.find_first_of("[]") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", text, "\" has a stray '[' or ']'"));
  }
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

absl::StatusOr<ListeningSocket> Listen(const ListenAddress& address) {
  absl::StatusOr<int> fd;
  if (address.host.empty()) {
    // Every address: one IPv6 socket that also accepts IPv4, or IPv4 alone
    // on a kernel without IPv6.
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = htons(address.port);
    fd = BindOne(address, reinterpret_cast<sockaddr*>(&any6), sizeof(any6), true);
    if (!fd.ok() && !absl::IsAlreadyExists(fd.status()) && !absl::IsPermissionDenied(fd.status())) {
      sockaddr_in any4{};
      any4.sin_family = AF_INET;
      any4.sin_addr.s_addr = htonl(INADDR_ANY);
      any4.sin_port = htons(address.port);
      fd = BindOne(address, reinterpret_cast<sockaddr*>(&any4), sizeof(any4), false);
    }
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* results = nullptr;
    const std::string port = std::to_string(address.port);
    int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &results);
    if (rc != 0) {
      return absl::InvalidArgumentError(absl::StrCat("listen tcp ", Describe(address), ": lookup ",
                                                     address.host, ": ", gai_strerror(rc)));
    }
    fd = absl::UnavailableError(absl::StrCat("listen tcp ", Describe(address), ": no address"));
    for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
      fd = BindOne(address, ai->ai_addr, ai->ai_addrlen, false);
      if (fd.ok()) break;
    }
    freeaddrinfo(results);
  }
  if (!fd.ok()) return fd.status();

  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &len);
  uint16_t port = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ListeningSocket{*fd, port};
}

}  // namespace strata
