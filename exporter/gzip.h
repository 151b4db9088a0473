// gzip for HTTP responses, through zlib.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// The gzip encoding (RFC 1952) of `data`, at the level responses are served
// with (chosen by measurement; gzip.cc gives the numbers).
absl::StatusOr<std::string> GzipCompress(absl::string_view data);

// The same at zlib's `level`: 1 (fastest) to 9 (smallest), 0 (stored) or -1
// (zlib's default, 6). InvalidArgument for any other level.
absl::StatusOr<std::string> GzipCompress(absl::string_view data, int level);

// Whether an Accept-Encoding header value accepts gzip: listed as "gzip",
// "x-gzip" or "*" without q=0.
bool AcceptsGzip(absl::string_view accept_encoding);

}  // namespace strata
