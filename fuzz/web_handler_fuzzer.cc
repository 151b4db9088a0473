// The HTTP request path and query as the web handler receives them
// (web_handler.h), decoded as libmicrohttpd decodes them for http_server.cc.
//
// Input format: a request line "METHOD TARGET", then header lines
// "Name: value" (Accept-Encoding and X-Prometheus-Scrape-Timeout-Seconds are
// used). TARGET is split at the first '?'; the path and each query key and
// value are %-decoded with libmicrohttpd's own MHD_http_unescape and, like
// the C strings libmicrohttpd hands over, end at a decoded NUL.
#include <microhttpd.h>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/metric_spec.h"
#include "collectors/collector.h"
#include "exporter/web_handler.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {
namespace {

constexpr MetricSpec kFuzzInfo{"strata_fuzz_info",
                               prometheus::MetricType::Gauge,
                               "A sample for the web handler fuzz target.",
                               {"name"},
                               "nothing"};

class SampleCollector : public Collector {
 public:
  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    FamilyBuilder(kFuzzInfo).Add(1, {"sample"}).EmitTo(out);
    return absl::OkStatus();
  }
};

class FailingCollector : public Collector {
 public:
  absl::Status Collect(std::vector<prometheus::MetricFamily>&) override {
    return absl::UnavailableError("always fails");
  }
};

// What libmicrohttpd passes on: %-decoded, up to the first NUL.
std::string Unescape(absl::string_view text) {
  std::string buffer(text);
  buffer.resize(MHD_http_unescape(buffer.data()));
  return std::string(buffer.c_str());
}

HttpRequest RequestFrom(absl::string_view input) {
  HttpRequest request;
  std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  std::pair<absl::string_view, absl::string_view> request_line =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 1));
  request.method = std::string(request_line.first);
  std::pair<absl::string_view, absl::string_view> target =
      absl::StrSplit(request_line.second, absl::MaxSplits('?', 1));
  request.path = Unescape(target.first);
  if (!target.second.empty()) {
    for (absl::string_view argument : absl::StrSplit(target.second, '&')) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(argument, absl::MaxSplits('=', 1));
      request.query.emplace_back(Unescape(kv.first), Unescape(kv.second));
    }
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> header =
        absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
    const std::string value(absl::StripAsciiWhitespace(header.second));
    if (absl::EqualsIgnoreCase(header.first, "Accept-Encoding")) request.accept_encoding = value;
    if (absl::EqualsIgnoreCase(header.first, "X-Prometheus-Scrape-Timeout-Seconds")) {
      request.scrape_timeout_header = value;
    }
  }
  return request;
}

}  // namespace

void FuzzOne(absl::string_view input) {
  static std::ostream* discard = new std::ostream(nullptr);
  static const Logger* logger = new Logger(LogLevel::kDebug, *discard);
  static const Scraper* scraper = [] {
    std::vector<Scraper::NamedCollector> collectors;
    collectors.push_back({"sample", std::make_unique<SampleCollector>()});
    collectors.push_back({"failing", std::make_unique<FailingCollector>()});
    return new Scraper(std::move(collectors), *logger);
  }();
  WebOptions options;
  options.scrape_timeout = absl::Seconds(2);
  const WebHandler handler(options, *scraper, /*process=*/nullptr, *logger);

  const HttpRequest request = RequestFrom(input);
  const HttpResponse response = handler.Handle(request);

  const bool known = request.path == "/" || request.path == options.telemetry_path;
  const bool readable = request.method == "GET" || request.method == "HEAD";
  switch (response.status) {
    case 200:
      STRATA_FUZZ_CHECK(known && readable);
      break;
    case 400:  // collect[] naming a collector that is not enabled
      STRATA_FUZZ_CHECK(request.path == options.telemetry_path && readable);
      break;
    case 404:
      STRATA_FUZZ_CHECK(!known);
      break;
    case 405:
      STRATA_FUZZ_CHECK(known && !readable);
      break;
    default:
      STRATA_FUZZ_CHECK(false && "unexpected status");
  }
  if (response.status != 200) return;
  bool gzip = false;
  for (const auto& [name, value] : response.headers) {
    STRATA_FUZZ_CHECK(name.find_first_of("\r\n") == std::string::npos);
    STRATA_FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
    if (name == "Content-Encoding" && value == "gzip") gzip = true;
  }
  if (gzip) {
    STRATA_FUZZ_CHECK(absl::StartsWith(response.body, "\x1f\x8b"));
  } else {
    STRATA_FUZZ_CHECK_UTF8(response.body);
  }
  if (request.path == options.telemetry_path && !gzip) {
    STRATA_FUZZ_CHECK(absl::StrContains(response.body, "strata_scrape_collector_success"));
  }
}

}  // namespace strata::fuzz
