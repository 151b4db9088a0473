#include "exporter/web_handler.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exporter/build_info.h"
#include "exporter/exporter_metrics.h"
#include "exporter/gzip.h"
#include "prometheus/text_serializer.h"

namespace strata {
namespace {

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

WebHandler::WebHandler(WebOptions options, const Scraper& scraper, const ProcessMetrics* process,
                       const Logger& logger)
    : options_(std::move(options)), scraper_(scraper), process_(process), logger_(logger) {}

HttpResponse WebHandler::Handle(const HttpRequest& request) const {
  const bool known = request.path == "/" || request.path == options_.telemetry_path;
  if (!known) return TextResponse(404, "404 page not found\n");
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = TextResponse(405, "405 method not allowed\n");
    response.headers.push_back({"Allow", "GET, HEAD"});
    return response;
  }
  if (request.path == options_.telemetry_path) return Metrics(request);
  return LandingPage();
}

absl::Time WebHandler::Deadline(const HttpRequest& request) const {
  absl::Duration timeout = options_.scrape_timeout;
  double header_seconds = 0;
  if (!request.scrape_timeout_header.empty() &&
      absl::SimpleAtod(request.scrape_timeout_header, &header_seconds) && header_seconds > 0) {
    absl::Duration from_header = absl::Seconds(header_seconds);
    if (from_header > options_.scrape_timeout_offset) {
      from_header -= options_.scrape_timeout_offset;
    }
    timeout = std::min(timeout, from_header);
  }
  return absl::Now() + timeout;
}

HttpResponse WebHandler::Metrics(const HttpRequest& request) const {
  std::vector<std::string> only;
  for (const auto& [key, value] : request.query) {
    if (key == "collect[]") only.push_back(value);
  }
  absl::StatusOr<std::vector<prometheus::MetricFamily>> families =
      scraper_.Scrape(only, Deadline(request));
  if (!families.ok()) {
    return TextResponse(400, absl::StrCat("bad request: ", families.status().message(), "\n"));
  }
  if (options_.exporter_metrics) {
    FamilyBuilder(exporter_metrics::kBuildInfo).Add(1, {kVersion, kRevision}).EmitTo(*families);
    if (process_ != nullptr) {
      absl::Status status = process_->Collect(*families);
      if (!status.ok()) {
        logger_.Warn("process metrics incomplete", {{"err", std::string(status.message())}});
      }
    }
    std::stable_sort(families->begin(), families->end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
    MergeSameNameFamilies(*families);
  }

  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body = prometheus::TextSerializer().Serialize(*families);
  response.headers.push_back({"Vary", "Accept-Encoding"});
  if (AcceptsGzip(request.accept_encoding)) {
    absl::StatusOr<std::string> compressed = GzipCompress(response.body);
    if (compressed.ok()) {
      response.body = *std::move(compressed);
      response.headers.push_back({"Content-Encoding", "gzip"});
    } else {
      logger_.Warn("serving uncompressed", {{"err", std::string(compressed.status().message())}});
    }
  }
  return response;
}

HttpResponse WebHandler::LandingPage() const {
  const std::string path = HtmlEscape(options_.telemetry_path);
  HttpResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
      "<title>strata_exporter</title></head>\n<body>\n<h1>strata_exporter</h1>\n"
      "<p>Prometheus exporter for cgroups, the hypervisor and configuration convergence.</p>\n"
      "<p>Version ",
      kVersion, " (revision ", kRevision, ")</p>\n<ul>\n<li><a href=\"", path, "\">", path,
      "</a></li>\n</ul>\n<p>Collectors enabled: ",
      HtmlEscape(absl::StrJoin(scraper_.names(), ", ")), "</p>\n</body>\n</html>\n");
  return response;
}

}  // namespace strata
