// The parsers of what per-container network I/O reads (net_dev.h): a
// task's /proc/PID/net/dev, its ns/net link target and a cgroup.procs, each
// on every input. Seeds: the net/dev files of the cgroup fixture trees.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collectors/cgroup/net_dev.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<std::vector<NetDevCounters>> interfaces = ParseNetDev(input);
  if (interfaces.ok()) {
    std::set<std::string> names;
    for (const NetDevCounters& c : *interfaces) {
      // Names as the kernel allows them, each once.
      STRATA_FUZZ_CHECK(!c.interface.empty() && c.interface.size() <= kMaxInterfaceNameBytes);
      STRATA_FUZZ_CHECK(c.interface.find_first_of(" \t\n\v\f\r/:") == std::string::npos);
      STRATA_FUZZ_CHECK(names.insert(c.interface).second);
    }
  }
  (void)ParseNetNamespaceLink(input);
  absl::StatusOr<std::optional<int>> pid = ParseFirstPid(input);
  if (pid.ok() && pid->has_value()) STRATA_FUZZ_CHECK(**pid > 0 && **pid <= (1 << 22));
}

}  // namespace strata::fuzz
