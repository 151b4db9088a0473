// Runs Debian's real `prometheus` binary on loopback for end-to-end tests of
// the alerting rules and dashboards: one job "strata" scraping the given targets
// every second, rule files evaluated every second, a throw-away TSDB in a
// temporary directory; optionally external labels, remote write and
// Alertmanagers, as a site server of a fleet has. Queries go through
// Prometheus' HTTP API. The server is stopped (SIGTERM, then SIGKILL) when
// the object goes, and is killed by the kernel if the test process dies first
// (PR_SET_PDEATHSIG).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/support/server_process.h"

namespace strata::testing {

// One series of an instant query's result. A scalar result is one sample
// without labels.
struct PromSample {
  std::map<std::string, std::string> labels;  // __name__ included when kept
  double value = 0;
};

struct PromQueryResult {
  bool ok = false;  // transport, HTTP status and API status all fine
  std::string error;
  std::string result_type;  // vector, scalar, matrix, string
  std::vector<PromSample> samples;
  std::string body;  // the raw JSON answer
};

// An alert from /api/v1/alerts.
struct PromAlert {
  std::map<std::string, std::string> labels;  // alertname included
  std::map<std::string, std::string> annotations;
  std::string state;  // pending or firing
  double value = 0;
};

struct PromAlertsResult {
  bool ok = false;
  std::string error;
  std::vector<PromAlert> alerts;
  std::string body;
};

// What a site server has besides its scrape job and rules.
struct PrometheusOptions {
  // global.external_labels: added to what it remote-writes and its alerts.
  std::map<std::string, std::string> external_labels;
  // Remote-write endpoints (full URLs), flushed at least every second.
  std::vector<std::string> remote_write_urls;
  // Alertmanagers to send alerts to (host:port, plain HTTP).
  std::vector<std::string> alertmanagers;
  // More scrape jobs: YAML list items, appended under scrape_configs as given.
  std::string extra_scrape_configs;
};

class PrometheusServer {
 public:
  PrometheusServer() = default;
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Starts prometheus scraping `target` (host:port) as job "strata", with
  // `rule_files` (absolute paths), and waits up to `timeout` for /-/ready.
  // Retries with another free port when the one picked was taken meanwhile.
  // Returns false when it could not start; log() then says why.
  bool Start(const std::string& target, const std::vector<std::string>& rule_files,
             absl::Duration timeout = absl::Seconds(20));
  // The same with several targets, all in job "strata" (each its own instance).
  bool Start(const std::vector<std::string>& targets, const std::vector<std::string>& rule_files,
             absl::Duration timeout = absl::Seconds(20));
  // The same with `options`.
  bool Start(const std::vector<std::string>& targets, const std::vector<std::string>& rule_files,
             const PrometheusOptions& options, absl::Duration timeout = absl::Seconds(20));

  // SIGTERM, up to 5 s for a clean exit, then SIGKILL; removes the temp dir.
  void Stop();

  // Instant query at the current time.
  PromQueryResult Query(const std::string& promql) const;
  PromAlertsResult Alerts() const;

  int port() const { return server_.port(); }
  std::string base_url() const { return server_.base_url(); }
  // What prometheus wrote to stdout and stderr so far.
  std::string log() const { return start_error_.empty() ? server_.log() : start_error_; }

 private:
  ServerProcess server_;  // its directory holds the config and the TSDB
  std::string start_error_;
};

// An instant query at the current time through the Prometheus HTTP API at
// `base_url` (Prometheus itself, or a store that speaks its API).
PromQueryResult QueryPrometheusApi(const std::string& base_url, const std::string& promql);

// Whether Debian's prometheus binary is installed.
bool PrometheusAvailable();

// `text` percent-encoded for a URL query component (RFC 3986 unreserved kept).
std::string UrlEncode(const std::string& text);

}  // namespace strata::testing
