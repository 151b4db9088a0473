// Runs the built strata_exporter binary as a child process for end-to-end
// tests: start with flags, learn its port from its "listening" log line,
// signal it, collect its exit code and stderr. The child is killed if the
// test ends first, and by the kernel if the thread that started it dies
// (PR_SET_PDEATHSIG): start it from the test's own thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace strata::testing {

class ExporterProcess {
 public:
  ExporterProcess() = default;
  ~ExporterProcess();
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  // Starts the binary with `args` and waits up to `timeout` for it to log
  // that it listens. Returns false if it exited or never listened; stderr()
  // then says why.
  bool Start(const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(10));
  // Start() in two halves, so a test can start many exporters at once:
  // Launch() only runs the binary (false when fork failed), WaitListening()
  // waits for its "listening" line.
  bool Launch(const std::vector<std::string>& args);
  bool WaitListening(absl::Duration timeout = absl::Seconds(10));

  // Starts the binary and waits for it to exit; returns its exit code.
  int RunToExit(const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(10));

  void Signal(int signal_number) const;

  // Hands `fd` to the next child as descriptor 3, with LISTEN_FDS=1 and
  // LISTEN_PID naming the child, as systemd's socket activation does.
  void PassSocket(int fd) { passed_fd_ = fd; }
  pid_t pid() const { return pid_; }

  // Waits for exit; returns the exit code, or 128+signal, or nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);

  int port() const { return port_; }
  // Everything the child wrote to stderr so far.
  const std::string& stderr_text();

 private:
  void Spawn(const std::vector<std::string>& args);
  // Reads what stderr has without blocking longer than `timeout`.
  void Drain(absl::Duration timeout);

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  int port_ = 0;
  int passed_fd_ = -1;
  std::string stderr_;
};

// Path of the exporter binary under test (set by CMake).
std::string ExporterBinary();

// The flag that keeps the cgroup collector from asking whatever container
// engine the test machine runs; none in a build without the engine client.
std::vector<std::string> NoContainerEngineFlags();

// A command's exit code and standard output, with standard input fed from `input`.
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "");

}  // namespace strata::testing
