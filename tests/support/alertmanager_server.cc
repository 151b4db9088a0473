#include "tests/support/alertmanager_server.h"

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/test_files.h"

namespace strata::testing {

std::string AlertmanagerBinary() {
  // Debian names it prometheus-alertmanager; upstream's tarball alertmanager.
  std::string binary = FindExecutable("prometheus-alertmanager");
  return binary.empty() ? FindExecutable("alertmanager") : binary;
}

std::string AmtoolBinary() { return FindExecutable("amtool"); }

std::string AlertmanagerServer::address() const {
  return absl::StrCat("127.0.0.1:", server_.port());
}

bool AlertmanagerServer::Start(const std::string& config, absl::Duration timeout) {
  Stop();
  const std::string binary = AlertmanagerBinary();
  if (binary.empty()) {
    start_error_ = "no alertmanager binary (Debian package prometheus-alertmanager)";
    return false;
  }
  if (!server_.MakeDir("alertmanager")) {
    start_error_ = "mkdtemp failed";
    return false;
  }
  start_error_.clear();
  const std::string dir = server_.dir();
  std::ofstream(dir + "/alertmanager.yml") << config;
  return server_.Start(
      binary,
      [&dir](int port) {
        return std::vector<std::string>{
            "--config.file=" + dir + "/alertmanager.yml",
            "--storage.path=" + dir + "/data",
            absl::StrCat("--web.listen-address=127.0.0.1:", port),
            // No gossip: without this it listens on every address, port 9094.
            "--cluster.listen-address=",
            "--log.level=info",
        };
      },
      "/-/ready", timeout);
}

}  // namespace strata::testing
