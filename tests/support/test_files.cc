#include "tests/support/test_files.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace strata::testing {

std::string FindExecutable(const std::string& name) {
  const char* path = getenv("PATH");
  std::string dirs = absl::StrCat(path == nullptr ? "" : path, ":/usr/sbin:/usr/bin:/sbin:/bin");
  for (absl::string_view dir : absl::StrSplit(dirs, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> CgroupMountPoints() {
  std::vector<std::string> mounts;
  std::istringstream mountinfo(ReadWholeFile("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::vector<std::string> halves = absl::StrSplit(line, " - ");
    if (halves.size() != 2) continue;
    std::vector<std::string> before = absl::StrSplit(halves[0], ' ');
    if (before.size() > 4 &&
        (absl::StartsWith(halves[1], "cgroup ") || absl::StartsWith(halves[1], "cgroup2 "))) {
      mounts.push_back(before[4]);
    }
  }
  return mounts;
}

}  // namespace strata::testing
