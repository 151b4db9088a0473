// gzip for HTTP responses, through zlib.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// The gzip encoding (RFC 1952) of `data`.
absl::StatusOr<std::string> GzipCompress(absl::string_view data);

// Whether an Accept-Encoding header value accepts gzip: listed as "gzip",
// "x-gzip" or "*" without q=0.
bool AcceptsGzip(absl::string_view accept_encoding);

}  // namespace strata
