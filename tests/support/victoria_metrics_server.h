// Runs Debian's `victoria-metrics` (the single-node VictoriaMetrics) on
// loopback for end-to-end tests: the global store a fleet's site Prometheus
// servers remote-write into, queried through its Prometheus-compatible API.
// Its data lives in a throw-away temporary directory; points are visible to
// queries a second after they arrive (not the default 30 s) and no response
// is cached, so a test sees what was just written. Stopped like
// ServerProcess.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/server_process.h"

namespace strata::testing {

class VictoriaMetricsServer {
 public:
  // Starts it and waits up to `timeout` for /health. Returns false when it
  // could not start; log() then says why.
  bool Start(absl::Duration timeout = absl::Seconds(20));
  void Stop() { server_.Stop(); }

  // Where Prometheus remote-writes to.
  std::string remote_write_url() const { return server_.base_url() + "/api/v1/write"; }
  std::string base_url() const { return server_.base_url(); }
  PromQueryResult Query(const std::string& promql) const {
    return QueryPrometheusApi(server_.base_url(), promql);
  }
  std::string log() const { return start_error_.empty() ? server_.log() : start_error_; }

 private:
  ServerProcess server_;
  std::string start_error_;
};

// Whether Debian's victoria-metrics binary is installed.
bool VictoriaMetricsAvailable();

}  // namespace strata::testing
