#include "tests/support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/http_client.h"
#include "tests/support/test_files.h"

namespace strata::testing {

// Bind to port 0, read what the kernel gave, close. The servers run here
// cannot listen on port 0 and report it, so a race with another process is
// possible; Start() retries on it.
int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

ServerProcess::~ServerProcess() { Stop(); }

bool ServerProcess::MakeDir(const std::string& name) {
  std::string dir_template = "/tmp/strata-" + name + "-XXXXXX";
  if (mkdtemp(dir_template.data()) == nullptr) {
    start_error_ = "mkdtemp failed";
    return false;
  }
  dir_ = dir_template;
  return true;
}

std::string ServerProcess::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::string ServerProcess::log() const {
  std::string text = dir_.empty() ? "" : ReadWholeFile(dir_ + "/server.log");
  return start_error_.empty() ? text : start_error_ + "\n" + text;
}

bool ServerProcess::Start(const std::string& binary,
                          const std::function<std::vector<std::string>(int port)>& args_for,
                          const std::string& ready_path, absl::Duration timeout) {
  if (dir_.empty()) {
    start_error_ = "MakeDir() first";
    return false;
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (int attempt = 0; attempt < 5 && absl::Now() < deadline; ++attempt) {
    port_ = PickFreePort();
    if (port_ == 0) {
      start_error_ = "no free port on 127.0.0.1";
      return false;
    }
    if (StartOnce(binary, args_for(port_), ready_path, deadline)) return true;
    // Only a lost race for the port is worth another try.
    if (log().find("address already in use") == std::string::npos) break;
  }
  return false;
}

bool ServerProcess::StartOnce(const std::string& binary, const std::vector<std::string>& args,
                              const std::string& ready_path, absl::Time deadline) {
  std::vector<std::string> full = {binary};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : full) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log_path = dir_ + "/server.log";
  const pid_t parent = getpid();
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    start_error_ = "cannot create " + log_path;
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  if (pid < 0) {
    start_error_ = "fork failed";
    return false;
  }
  pid_ = pid;
  start_error_.clear();
  const std::string ready_url = base_url() + ready_path;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      start_error_ = absl::StrCat(binary, " exited with status ", status, " on port ", port_);
      return false;
    }
    HttpGetOptions options;
    options.timeout_ms = 1000;
    HttpResult ready = HttpGet(ready_url, options);
    if (ready.ok && ready.status == 200) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  start_error_ = binary + " not ready in time";
  // Keep the directory (and log) until Stop().
  const pid_t stale = pid_;
  kill(stale, SIGKILL);
  waitpid(stale, nullptr, 0);
  pid_ = -1;
  return false;
}

void ServerProcess::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    bool exited = false;
    while (absl::Now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

}  // namespace strata::testing
