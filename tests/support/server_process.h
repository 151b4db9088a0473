// Runs a third-party server binary (Prometheus, VictoriaMetrics,
// Alertmanager) on a loopback port for end-to-end tests: a throw-away
// temporary directory for its configuration, data and log, a port picked
// free (retried when another process took it meanwhile), readiness polled
// over HTTP. The server is stopped (SIGTERM, then SIGKILL) by Stop() or when
// the object goes, and is killed by the kernel if the test process dies first
// (PR_SET_PDEATHSIG). Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace strata::testing {

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Makes the temporary directory (named after `name`) that Start() and the
  // configuration files use. Returns false when it cannot.
  bool MakeDir(const std::string& name);
  const std::string& dir() const { return dir_; }

  // Runs `binary` with the arguments `args_for(port)` gives for a free
  // loopback port, its stdout and stderr in dir()/server.log, and waits up to
  // `timeout` for GET `ready_path` to answer 200. Returns false when it exited
  // or never got ready; log() then says why.
  bool Start(const std::string& binary,
             const std::function<std::vector<std::string>(int port)>& args_for,
             const std::string& ready_path, absl::Duration timeout);

  // SIGTERM, up to 5 s for a clean exit, then SIGKILL; removes the directory.
  void Stop();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const;
  // Why Start() failed, if it did, then what the server wrote so far.
  std::string log() const;

 private:
  bool StartOnce(const std::string& binary, const std::vector<std::string>& args,
                 const std::string& ready_path, absl::Time deadline);

  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::string start_error_;
};

// A port that was free on 127.0.0.1 a moment ago (0 when none could be had).
int PickFreePort();

}  // namespace strata::testing
