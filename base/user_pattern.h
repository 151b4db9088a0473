// Regular expressions that users write in flags (--collector.NAME.*-include,
// *-exclude), compiled with RE2: the syntax node_exporter users already write
// (Go's regexp is RE2: `(?i)docker`, `^/system\.slice/`, `[[:alpha:]]`,
// `\d+`), and matching in time linear in the input, so a path that any user
// on the host can name cannot make a scrape backtrack for long.
//
// Compiled patterns are immutable and thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace strata {

// Compiles `pattern`, given by `flag`. InvalidArgument naming the flag, the
// pattern and RE2's reason when it is not a valid RE2 expression (for example
// a backreference or a lookahead, which RE2 does not support).
absl::StatusOr<std::unique_ptr<const RE2>> CompileUserPattern(absl::string_view flag,
                                                              const std::string& pattern);

// Whether `pattern` matches anywhere in `text` (unanchored, as node_exporter's
// filters are): anchor with ^ and $ to match whole strings. Bytes that are
// not UTF-8 never make a match fail by themselves.
bool SearchUserPattern(const RE2& pattern, absl::string_view text);

}  // namespace strata
