// Pure parsers of the image collector: os-release(5) files (and image stamp
// files in the same format) and build timestamps.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// The KEY=value assignments of an os-release(5) file, values unquoted and
// unescaped as os-release(5) and systemd's parser define it: a value may be
// in double quotes (where a backslash escapes '"', '\', '`' and '$' and is
// kept before anything else), in single quotes (taken literally), or bare
// (where a backslash escapes the next character). Blank lines and lines
// starting with '#' are skipped; a later assignment of a key wins.
// InvalidArgument naming the line for a line with no '=', a key that is not
// [A-Za-z_][A-Za-z0-9_]*, an unbalanced quote, or text after a closing quote
// (concatenation of quoted strings is not supported).
absl::StatusOr<std::map<std::string, std::string>> ParseOsRelease(absl::string_view text);

// A stamp's BUILD_TIMESTAMP: seconds since the epoch ("1700000000", a
// fraction allowed) or RFC 3339 ("2024-05-01T12:00:00Z", with an offset or
// fractional seconds). InvalidArgument otherwise.
absl::StatusOr<double> ParseBuildTimestamp(absl::string_view text);

}  // namespace strata
