// sha256sum output used as a file baseline (drift_baselines.h).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "collectors/drift/drift_baselines.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  absl::StatusOr<std::vector<FileBaselineEntry>> entries = ParseSha256Baseline(input);
  if (!entries.ok()) return;
  std::set<std::string> paths;
  for (const FileBaselineEntry& entry : *entries) {
    // Absolute and lexically normal: no empty, "." or ".." component, so a
    // baseline cannot point above --path.rootfs.
    STRATA_FUZZ_CHECK(absl::StartsWith(entry.path, "/"));
    STRATA_FUZZ_CHECK(entry.path.find('\0') == std::string::npos);
    if (entry.path != "/") {
      for (absl::string_view part : absl::StrSplit(absl::string_view(entry.path).substr(1), '/')) {
        STRATA_FUZZ_CHECK(!part.empty() && part != "." && part != "..");
      }
    }
    STRATA_FUZZ_CHECK(entry.sha256.size() == 64);
    for (char c : entry.sha256)
      STRATA_FUZZ_CHECK(absl::ascii_isxdigit(c) && !absl::ascii_isupper(c));
    // A name listed twice counts once.
    STRATA_FUZZ_CHECK(paths.insert(entry.path).second);
  }
}

}  // namespace strata::fuzz
