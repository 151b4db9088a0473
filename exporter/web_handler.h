// What the exporter answers over HTTP, independent of the HTTP library: the
// landing page at "/", metrics at the telemetry path (exact match), 404
// elsewhere (a path holding a NUL, as "%00" decodes to, included). Metrics
// take node_exporter's collect[] or exclude[] parameters (not both).
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "base/logging.h"
#include "exporter/process_metrics.h"
#include "exporter/scraper.h"

namespace strata {

struct HttpRequest {
  std::string method;
  std::string path;  // decoded, without the query string
  // The request target as received, before decoding, when the server knows
  // it; lets "%00" in the path be refused even where the server's decoding
  // has already cut the path at the NUL.
  std::string raw_target;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string accept_encoding;
  std::string scrape_timeout_header;  // X-Prometheus-Scrape-Timeout-Seconds
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct WebOptions {
  std::string telemetry_path = "/metrics";
  // Upper bound for one scrape's collectors.
  absl::Duration scrape_timeout = absl::Seconds(10);
  // Subtracted from Prometheus' scrape timeout header, so the answer arrives in time.
  absl::Duration scrape_timeout_offset = absl::Milliseconds(500);
  // Lower bound for Prometheus' scrape timeout header: a tinier one would
  // answer before the collectors could, leaving every collection to outlive
  // its request.
  absl::Duration min_scrape_timeout = absl::Seconds(1);
  // process_* metrics; strata_exporter_build_info is served either way,
  // since dashboards' variables read it.
  bool exporter_metrics = true;
};

class WebHandler {
 public:
  // `process` may be null when exporter metrics are disabled.
  WebHandler(WebOptions options, const Scraper& scraper, const ProcessMetrics* process,
             const Logger& logger);

  HttpResponse Handle(const HttpRequest& request) const;

 private:
  HttpResponse Metrics(const HttpRequest& request) const;
  HttpResponse LandingPage() const;
  absl::Time Deadline(const HttpRequest& request) const;
  // The collectors collect[] or exclude[] ask for (empty: every one);
  // InvalidArgument for both at once, an unknown name, or too many
  // parameters.
  absl::StatusOr<std::vector<std::string>> Selection(const HttpRequest& request) const;

  const WebOptions options_;
  const Scraper& scraper_;
  const ProcessMetrics* process_;
  const Logger& logger_;
};

}  // namespace strata
