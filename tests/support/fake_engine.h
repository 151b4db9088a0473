// A Docker-compatible engine API on a unix socket for tests: answers each
// GET by its path from a table (404 for a path it lacks), or hangs without
// answering, from a thread of its own. Answers may be any bytes (malformed,
// not UTF-8, tens of megabytes).
//
// Not thread-safe apart from what the server thread does; set routes before
// the first request.
#pragma once

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace strata::testing {

class FakeEngine {
 public:
  // Listens at `socket_path`, or in a new temporary directory when empty.
  explicit FakeEngine(std::string socket_path = "") {
    if (socket_path.empty()) {
      char dir_template[] = "/tmp/strata-fake-engine-XXXXXX";
      if (mkdtemp(dir_template) == nullptr) return;
      dir_ = dir_template;
      socket_path = dir_ + "/engine.sock";
    }
    path_ = std::move(socket_path);
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    if (listen_fd_ < 0 ||
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listen_fd_, 16) != 0) {
      if (listen_fd_ >= 0) close(listen_fd_);
      listen_fd_ = -1;
      return;
    }
    thread_ = std::thread([this] { Serve(); });
  }

  FakeEngine(const FakeEngine&) = delete;
  FakeEngine& operator=(const FakeEngine&) = delete;

  ~FakeEngine() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : held_) close(fd);
    if (listen_fd_ >= 0) close(listen_fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Answers GET `path` with 200 and `body`.
  void Route(const std::string& path, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = {"200 OK", std::move(body)};
  }
  // Answers GET `path` with `status_line` ("500 Internal Server Error") and `body`.
  void RouteStatus(const std::string& path, std::string status_line, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[path] = {std::move(status_line), std::move(body)};
  }
  // Reads requests for `path` and never answers (until destroyed).
  void Hang(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    hung_.push_back(path);
  }

  bool ok() const { return thread_.joinable(); }
  const std::string& path() const { return path_; }
  // The paths asked for, in order.
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) continue;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && !stop_) {
        pollfd cfd{fd, POLLIN, 0};
        if (poll(&cfd, 1, 100) <= 0) continue;
        const ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      // "GET /path HTTP/1.1"
      const size_t start = request.find(' ');
      const size_t end = start == std::string::npos ? start : request.find(' ', start + 1);
      const std::string path =
          end == std::string::npos ? "" : request.substr(start + 1, end - start - 1);
      std::string response;
      bool hang = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(path);
        for (const std::string& hung : hung_) hang |= hung == path;
        auto it = routes_.find(path);
        const std::pair<std::string, std::string> answer =
            it != routes_.end() ? it->second
                                : std::pair<std::string, std::string>{
                                      "404 Not Found", R"({"message":"no such route"})"};
        response = absl::StrCat(
            "HTTP/1.1 ", answer.first,
            "\r\nContent-Type: application/json\r\nContent-Length: ", answer.second.size(),
            "\r\nConnection: close\r\n\r\n", answer.second);
      }
      if (hang) {
        held_.push_back(fd);  // closed when destroyed
        continue;
      }
      size_t written = 0;
      while (written < response.size() && !stop_) {
        // MSG_NOSIGNAL: a client that hangs up early must not kill the test with SIGPIPE.
        const ssize_t n =
            send(fd, response.data() + written, response.size() - written, MSG_NOSIGNAL);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
      close(fd);
    }
  }

  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> held_;  // only the server thread touches it until it is joined
  mutable std::mutex mu_;  // guards the three below
  std::map<std::string, std::pair<std::string, std::string>> routes_;
  std::vector<std::string> hung_;
  std::vector<std::string> requests_;
};

}  // namespace strata::testing
