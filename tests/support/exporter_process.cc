#include "tests/support/exporter_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <regex>

#include "absl/time/clock.h"
#include "base/build_options.h"

extern char** environ;

namespace strata::testing {
namespace {

std::vector<char*> ArgvOf(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::vector<std::string> NoContainerEngineFlags() {
  if (!STRATA_WITH_DOCKER_API) return {};
  return {"--collector.cgroup.docker-socket="};
}

std::string ExporterBinary() { return STRATA_EXPORTER_BINARY; }

ExporterProcess::~ExporterProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

void ExporterProcess::Spawn(const std::vector<std::string>& args) {
  std::vector<std::string> full = {ExporterBinary()};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv = ArgvOf(full);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
  // The environment of a socket-activated child, prepared before fork: the
  // child only writes its own pid into it.
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    if (passed_fd_ < 0 || (strncmp(*e, "LISTEN_", 7) != 0)) env_text.emplace_back(*e);
  }
  if (passed_fd_ >= 0) {
    env_text.emplace_back("LISTEN_FDS=1");
    env_text.emplace_back("LISTEN_PID=00000000000000000000");
  }
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* pid_digits = passed_fd_ >= 0 ? env_text.back().data() + strlen("LISTEN_PID=") : nullptr;
  const int passed_fd = passed_fd_;
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec. The exporter dies with the
    // test process even when that is SIGKILLed (a ctest timeout).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(pipe_fds[1], STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (passed_fd >= 0) {
      if (passed_fd != 3) {
        dup2(passed_fd, 3);
      } else {
        fcntl(3, F_SETFD, 0);
      }
      char digits[24];
      int n = 0;
      for (pid_t self = getpid(); self > 0; self /= 10) digits[n++] = '0' + self % 10;
      for (int i = 0; i < n; ++i) pid_digits[i] = digits[n - 1 - i];
      pid_digits[n] = '\0';
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  if (pid_ < 0) {
    close(pipe_fds[0]);
    return;
  }
  stderr_fd_ = pipe_fds[0];
}

void ExporterProcess::Drain(absl::Duration timeout) {
  if (stderr_fd_ < 0) return;
  pollfd pfd{stderr_fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) <= 0) return;
  char buffer[4096];
  ssize_t n = read(stderr_fd_, buffer, sizeof(buffer));
  if (n > 0) {
    stderr_.append(buffer, static_cast<size_t>(n));
  } else if (n == 0) {
    close(stderr_fd_);
    stderr_fd_ = -1;
  }
}

const std::string& ExporterProcess::stderr_text() {
  Drain(absl::ZeroDuration());
  return stderr_;
}

bool ExporterProcess::Start(const std::vector<std::string>& args, absl::Duration timeout) {
  return Launch(args) && WaitListening(timeout);
}

bool ExporterProcess::Launch(const std::vector<std::string>& args) {
  Spawn(args);
  return pid_ > 0;
}

bool ExporterProcess::WaitListening(absl::Duration timeout) {
  if (pid_ <= 0) return false;
  const std::regex listening(R"(msg=listening .*port=(\d+))");
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && stderr_fd_ >= 0) {
    Drain(absl::Milliseconds(100));
    std::smatch match;
    if (std::regex_search(stderr_, match, listening)) {
      port_ = std::stoi(match[1]);
      return true;
    }
  }
  return false;
}

int ExporterProcess::RunToExit(const std::vector<std::string>& args, absl::Duration timeout) {
  Spawn(args);
  if (pid_ <= 0) return -1;
  std::optional<int> code = Wait(timeout);
  return code.value_or(-1);
}

void ExporterProcess::Signal(int signal_number) const {
  if (pid_ > 0) kill(pid_, signal_number);
}

std::optional<int> ExporterProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      while (stderr_fd_ >= 0) Drain(absl::Milliseconds(100));
      return ExitCodeOf(status);
    }
    if (absl::Now() >= deadline) return std::nullopt;
    Drain(absl::Milliseconds(20));
  }
  return std::nullopt;
}

CommandResult RunCommand(const std::vector<std::string>& argv_in, const std::string& input) {
  std::vector<std::string> args = argv_in;
  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDERR_FILENO);
  std::vector<char*> argv = ArgvOf(args);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  CommandResult result;
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    result.output = "cannot start " + args[0];
    return result;
  }
  // Inputs here are small exposition files; write, then read everything.
  signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  while (written < input.size()) {
    ssize_t n = write(in_pipe[1], input.data() + written, input.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(in_pipe[1]);
  char buffer[4096];
  ssize_t n;
  while ((n = read(out_pipe[0], buffer, sizeof(buffer))) > 0) {
    result.output.append(buffer, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = ExitCodeOf(status);
  return result;
}

}  // namespace strata::testing
