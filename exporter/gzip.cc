#include "exporter/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {

namespace {

// zlib's fastest level. Measured on the exposition of about 1,000 cgroups
// (2.5 MB of text; BM_Gzip in bench/serialize_bench.cc, one run, medians of
// five, CPU time and compressed size as ratios to level 6, zlib's default):
//   level     1     2     3     4     5     6     7     8     9
//   CPU    0.45  0.46  0.48  0.74  0.79  1     1.14  1.83  2.00
//   bytes  1.136 1.131 1.121 1.045 1.020 1     0.981 0.974 0.974
// Level 6 costs 11 times the text writer's CPU for the same exposition, level
// 1 five times; 1 to 3 cost the same within the noise and differ by 1.5% in
// size. Level 1 halves the cost of compression for 14% more bytes: 50 KB more
// per scrape of 1,000 cgroups (0.163 of the text instead of 0.143), and 1.10
// times as many over the golden expositions (tests/golden).
constexpr int kServedLevel = 1;

}  // namespace

absl::StatusOr<std::string> GzipCompress(absl::string_view data) {
  return GzipCompress(data, kServedLevel);
}

absl::StatusOr<std::string> GzipCompress(absl::string_view data, int level) {
  if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION) {
    return absl::InvalidArgumentError(absl::StrCat("no gzip level ", level));
  }
  z_stream stream{};
  // windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&stream, data.size()));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return absl::InternalError(absl::StrCat("deflate failed: ", result));
  }
  out.resize(stream.total_out);
  return out;
}

bool AcceptsGzip(absl::string_view accept_encoding) {
  // An explicit gzip entry wins over the wildcard, so "gzip;q=0, *" refuses.
  double gzip_q = -1;
  double wildcard_q = -1;
  for (absl::string_view item : absl::StrSplit(accept_encoding, ',')) {
    std::vector<absl::string_view> params = absl::StrSplit(item, ';');
    std::string coding = absl::AsciiStrToLower(absl::StripAsciiWhitespace(params[0]));
    double q = 1;
    for (size_t i = 1; i < params.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(params[i]);
      if (absl::ConsumePrefix(&param, "q=") || absl::ConsumePrefix(&param, "Q=")) {
        if (!absl::SimpleAtod(param, &q)) q = 0;
      }
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_q = std::max(gzip_q, q);
    } else if (coding == "*") {
      wildcard_q = std::max(wildcard_q, q);
    }
  }
  return gzip_q >= 0 ? gzip_q > 0 : wildcard_q > 0;
}

}  // namespace strata
