#include "tests/support/victoria_metrics_server.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/test_files.h"

namespace strata::testing {

bool VictoriaMetricsAvailable() { return !FindExecutable("victoria-metrics").empty(); }

bool VictoriaMetricsServer::Start(absl::Duration timeout) {
  Stop();
  const std::string binary = FindExecutable("victoria-metrics");
  if (binary.empty()) {
    start_error_ = "no victoria-metrics binary (Debian package victoria-metrics)";
    return false;
  }
  if (!server_.MakeDir("victoria-metrics")) {
    start_error_ = "mkdtemp failed";
    return false;
  }
  start_error_.clear();
  const std::string dir = server_.dir();
  return server_.Start(
      binary,
      [&dir](int port) {
        return std::vector<std::string>{
            absl::StrCat("-httpListenAddr=127.0.0.1:", port),
            "-storageDataPath=" + dir + "/data",
            "-retentionPeriod=1d",
            // A point is queryable a second after it was written, and every
            // query reads the raw data: the test asks right after the
            // Prometheus servers wrote.
            "-search.latencyOffset=1s",
            "-search.disableCache",
            "-loggerLevel=WARN",
        };
      },
      "/health", timeout);
}

}  // namespace strata::testing
