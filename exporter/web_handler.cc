#include "exporter/web_handler.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "exporter/build_info.h"
#include "exporter/exporter_metrics.h"
#include "exporter/gzip.h"
#include "exporter/text_writer.h"

namespace strata {
namespace {

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// More query parameters than any scraper sends (one collect[] per collector).
constexpr size_t kMaxQueryParameters = 64;

// Whether the path part of a raw request target holds an encoded NUL.
bool HasEncodedNul(absl::string_view raw_target) {
  const absl::string_view path = raw_target.substr(0, raw_target.find('?'));
  for (size_t i = 0; i + 2 < path.size(); ++i) {
    if (path[i] == '%' && path[i + 1] == '0' && path[i + 2] == '0') return true;
  }
  return false;
}

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
  const bool nul =
      request.path.find('\0') != std::string::npos || HasEncodedNul(request.raw_target);
  const bool known = !nul && (request.path == "/" || request.path == options_.telemetry_path);
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
    timeout = std::min(timeout, std::max(from_header, options_.min_scrape_timeout));
  }
  return absl::Now() + timeout;
}

absl::StatusOr<std::vector<std::string>> WebHandler::Selection(const HttpRequest& request) const {
  if (request.query.size() > kMaxQueryParameters) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxQueryParameters, " query parameters"));
  }
  std::vector<std::string> collect;
  std::vector<std::string> exclude;
  for (const auto& [key, value] : request.query) {
    if (key == "collect[]") collect.push_back(value);
    if (key == "exclude[]") exclude.push_back(value);
  }
  if (exclude.empty()) return collect;
  if (!collect.empty()) {
    return absl::InvalidArgumentError("collect[] and exclude[] cannot be combined");
  }
  const std::vector<std::string> enabled = scraper_.names();
  for (const std::string& name : exclude) {
    if (std::find(enabled.begin(), enabled.end(), name) == enabled.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "collector \"", name, "\" is not enabled (enabled: ", absl::StrJoin(enabled, ", "), ")"));
    }
  }
  std::vector<std::string> kept;
  for (const std::string& name : enabled) {
    if (std::find(exclude.begin(), exclude.end(), name) == exclude.end()) kept.push_back(name);
  }
  return kept;
}

HttpResponse WebHandler::Metrics(const HttpRequest& request) const {
  absl::StatusOr<std::vector<std::string>> only = Selection(request);
  const bool excluding =
      std::any_of(request.query.begin(), request.query.end(),
                  [](const auto& parameter) { return parameter.first == "exclude[]"; });
  absl::StatusOr<std::vector<prometheus::MetricFamily>> families;
  if (!only.ok()) {
    families = only.status();
  } else if (only->empty() && excluding) {
    families.emplace();  // every collector excluded; an empty list would mean all
  } else {
    families = scraper_.Scrape(*only, Deadline(request));
  }
  if (!families.ok()) {
    return TextResponse(400, absl::StrCat("bad request: ", families.status().message(), "\n"));
  }
  // Always: dashboards' variables read the version from it.
  FamilyBuilder(exporter_metrics::kBuildInfo).Add(1, {kVersion, kRevision}).EmitTo(*families);
  if (options_.exporter_metrics) {
    if (process_ != nullptr) {
      absl::Status status = process_->Collect(*families);
      if (!status.ok()) {
        logger_.Warn("process metrics incomplete", {{"err", std::string(status.message())}});
      }
    }
  }
  std::stable_sort(families->begin(), families->end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  MergeSameNameFamilies(*families);

  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body = ConsumeTextExposition(*families);
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
