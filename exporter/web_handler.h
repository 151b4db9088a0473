// What the exporter answers over HTTP, independent of the HTTP library: the
// landing page at "/", metrics at the telemetry path (exact match), 404
// elsewhere. Thread-safe.
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
  std::string path;                                        // without the query string
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

  const WebOptions options_;
  const Scraper& scraper_;
  const ProcessMetrics* process_;
  const Logger& logger_;
};

}  // namespace strata
