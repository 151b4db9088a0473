// Small file helpers shared by the test support classes.
#pragma once

#include <string>
#include <vector>

namespace strata::testing {

// The absolute path of an executable found in $PATH or the sbin and bin
// directories (CI may run with a PATH that lacks sbin), or "" when absent.
std::string FindExecutable(const std::string& name);

// The whole content of a file, or "" when it cannot be read.
std::string ReadWholeFile(const std::string& path);

// Where this process sees each cgroup hierarchy (v1 controllers, the v2
// unified one) mounted, from /proc/self/mountinfo.
std::vector<std::string> CgroupMountPoints();

}  // namespace strata::testing
