#include "base/user_pattern.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata {

absl::StatusOr<std::unique_ptr<const RE2>> CompileUserPattern(absl::string_view flag,
                                                              const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, and reported once at start-up
  auto compiled = std::make_unique<const RE2>(pattern, options);
  if (!compiled->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", pattern, "\" is not a valid RE2 regular expression: ", compiled->error()));
  }
  return compiled;
}

bool SearchUserPattern(const RE2& pattern, absl::string_view text) {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), pattern);
}

}  // namespace strata
