// os-release(5) files and image stamps (image_release.h), and the stamp's
// BUILD_TIMESTAMP.
#include <cmath>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "collectors/image/image_release.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {
namespace {

void CheckTimestamp(absl::string_view text) {
  absl::StatusOr<double> seconds = ParseBuildTimestamp(text);
  if (seconds.ok()) STRATA_FUZZ_CHECK(std::isfinite(*seconds));
}

}  // namespace

void FuzzOne(absl::string_view input) {
  CheckTimestamp(input);
  absl::StatusOr<std::map<std::string, std::string>> fields = ParseOsRelease(input);
  if (!fields.ok()) return;
  for (const auto& [key, value] : *fields) {
    // [A-Za-z_][A-Za-z0-9_]*
    STRATA_FUZZ_CHECK(!key.empty() && !absl::ascii_isdigit(key[0]));
    for (char c : key) STRATA_FUZZ_CHECK(absl::ascii_isalnum(c) || c == '_');
  }
  if (auto it = fields->find("BUILD_TIMESTAMP"); it != fields->end()) CheckTimestamp(it->second);
}

}  // namespace strata::fuzz
