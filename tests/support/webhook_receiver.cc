#include "tests/support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace strata::testing {
namespace {

// Alertmanager's notifications are a few KiB; anything far larger is a bug.
constexpr size_t kMaxRequestBytes = 4 << 20;

// The Content-Length of a request head, or 0 when it has none.
size_t ContentLength(absl::string_view head) {
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::AsciiStrToLower(line.substr(0, colon)) != "content-length") continue;
    size_t length = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)), &length)) {
      return length;
    }
  }
  return 0;
}

}  // namespace

WebhookReceiver::WebhookReceiver() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 16) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

std::string WebhookReceiver::url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

std::vector<WebhookRequest> WebhookReceiver::Requests() const {
  absl::MutexLock lock(&mutex_);
  return requests_;
}

void WebhookReceiver::Serve() {
  while (!stop_) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    Handle(client);
    close(client);
  }
}

void WebhookReceiver::Handle(int client) {
  std::string request;
  size_t head_end = std::string::npos;
  size_t wanted = 0;
  char buffer[8192];
  while (request.size() <= kMaxRequestBytes) {
    if (head_end == std::string::npos) {
      head_end = request.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        wanted = head_end + 4 + ContentLength(absl::string_view(request).substr(0, head_end));
      }
    }
    if (head_end != std::string::npos && request.size() >= wanted) break;
    pollfd cfd{client, POLLIN, 0};
    if (poll(&cfd, 1, 2000) <= 0) return;
    const ssize_t n = read(client, buffer, sizeof(buffer));
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
  }
  if (head_end == std::string::npos || request.size() < wanted) return;
  // "POST /path HTTP/1.1"
  const std::vector<std::string> first =
      absl::StrSplit(request.substr(0, request.find("\r\n")), ' ');
  WebhookRequest recorded;
  recorded.path = first.size() >= 2 ? first[1] : "";
  recorded.body = request.substr(head_end + 4, wanted - head_end - 4);
  {
    absl::MutexLock lock(&mutex_);
    requests_.push_back(std::move(recorded));
  }
  static constexpr absl::string_view kResponse =
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  size_t written = 0;
  while (written < kResponse.size()) {
    const ssize_t n =
        send(client, kResponse.data() + written, kResponse.size() - written, MSG_NOSIGNAL);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
}

}  // namespace strata::testing
