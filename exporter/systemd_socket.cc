#include "exporter/systemd_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START

}  // namespace

absl::StatusOr<std::vector<ListeningSocket>> SystemdListeningSockets() {
  const char* pid_text = getenv("LISTEN_PID");
  const char* fds_text = getenv("LISTEN_FDS");
  if (pid_text == nullptr || fds_text == nullptr) {
    return absl::FailedPreconditionError(
        "--web.systemd-socket: LISTEN_PID and LISTEN_FDS are not set (is the service started "
        "by a systemd .socket unit?)");
  }
  int64_t pid = 0;
  int64_t count = 0;
  if (!absl::SimpleAtoi(pid_text, &pid) || pid != getpid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--web.systemd-socket: LISTEN_PID is ", pid_text, ", not this process (", getpid(), ")"));
  }
  if (!absl::SimpleAtoi(fds_text, &count) || count < 1 || count > 64) {
    return absl::FailedPreconditionError(
        absl::StrCat("--web.systemd-socket: LISTEN_FDS is \"", fds_text,
                     "\"; want the number of sockets passed, at least 1"));
  }
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");

  std::vector<ListeningSocket> sockets;
  for (int fd = kFirstFd; fd < kFirstFd + count; ++fd) {
    int listening = 0;
    int type = 0;
    socklen_t len = sizeof(listening);
    socklen_t type_len = sizeof(type);
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof(bound);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 || type != SOCK_STREAM ||
        !listening || getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0 ||
        (bound.ss_family != AF_INET && bound.ss_family != AF_INET6)) {
      return absl::FailedPreconditionError(
          absl::StrCat("--web.systemd-socket: descriptor ", fd,
                       " is not a listening TCP socket (ListenStream= in the .socket unit)"));
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    const uint16_t port = bound.ss_family == AF_INET6
                              ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                              : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    sockets.push_back({fd, port});
  }
  return sockets;
}

}  // namespace strata
