// Reading sample values out of a Prometheus text exposition in tests.
#pragma once

#include <optional>
#include <string>

namespace strata::testing {

// The value of the sample written exactly as `series` (name and labels as the
// exporter writes them, e.g. `strata_cgroup_pids{cgroup="/x"}`), or nullopt.
std::optional<double> SampleValue(const std::string& exposition, const std::string& series);

}  // namespace strata::testing
