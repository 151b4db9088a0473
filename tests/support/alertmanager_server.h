// Runs Debian's `prometheus-alertmanager` on loopback for end-to-end tests of
// alert routing: the given configuration, a throw-away storage directory, no
// cluster listener (a single instance gossips with nobody). Stopped like
// ServerProcess.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "tests/support/server_process.h"

namespace strata::testing {

class AlertmanagerServer {
 public:
  // Starts it with `config` (the YAML text of alertmanager.yml) and waits up
  // to `timeout` for /-/ready. Returns false when it could not start; log()
  // then says why.
  bool Start(const std::string& config, absl::Duration timeout = absl::Seconds(20));
  void Stop() { server_.Stop(); }

  // host:port, as Prometheus' alerting configuration names it.
  std::string address() const;
  std::string base_url() const { return server_.base_url(); }
  std::string log() const { return start_error_.empty() ? server_.log() : start_error_; }

 private:
  ServerProcess server_;
  std::string start_error_;
};

// The alertmanager binary ("" when Debian's prometheus-alertmanager is not
// installed), and its amtool.
std::string AlertmanagerBinary();
std::string AmtoolBinary();

}  // namespace strata::testing
