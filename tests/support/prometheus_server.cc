#include "tests/support/prometheus_server.h"

#include <cctype>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rapidjson/document.h"
#include "tests/support/http_client.h"
#include "tests/support/json_string_map.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

// YAML double-quoted scalar.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// A sample value as the API writes it: [ <unix time>, "<value>" ]; the value
// may be "NaN", "+Inf" or "-Inf", which strtod reads.
double SampleValue(const rapidjson::Value& pair) {
  if (!pair.IsArray() || pair.Size() != 2 || !pair[1].IsString()) return 0;
  return std::strtod(pair[1].GetString(), nullptr);
}

// Fetches `url` and checks the API envelope; fills ok/error/body and returns
// the parsed document's "data" (or null when not ok).
const rapidjson::Value* FetchApi(const std::string& url, rapidjson::Document& doc, bool& ok,
                                 std::string& error, std::string& body) {
  HttpResult http = HttpGet(url);
  body = http.body;
  ok = false;
  if (!http.ok) {
    error = "transport: " + http.error;
    return nullptr;
  }
  doc.Parse(http.body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    error = absl::StrCat("HTTP ", http.status, ", not JSON: ", http.body);
    return nullptr;
  }
  auto status = doc.FindMember("status");
  if (http.status != 200 || status == doc.MemberEnd() || !status->value.IsString() ||
      std::string(status->value.GetString()) != "success") {
    auto message = doc.FindMember("error");
    error = absl::StrCat("HTTP ", http.status, ": ",
                         message != doc.MemberEnd() && message->value.IsString()
                             ? message->value.GetString()
                             : http.body);
    return nullptr;
  }
  auto data = doc.FindMember("data");
  if (data == doc.MemberEnd()) {
    error = "no data in " + http.body;
    return nullptr;
  }
  ok = true;
  return &data->value;
}

}  // namespace

bool PrometheusAvailable() { return !FindExecutable("prometheus").empty(); }

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

PrometheusServer::~PrometheusServer() { Stop(); }

bool PrometheusServer::Start(const std::string& target, const std::vector<std::string>& rule_files,
                             absl::Duration timeout) {
  return Start(std::vector<std::string>{target}, rule_files, PrometheusOptions{}, timeout);
}

bool PrometheusServer::Start(const std::vector<std::string>& targets,
                             const std::vector<std::string>& rule_files, absl::Duration timeout) {
  return Start(targets, rule_files, PrometheusOptions{}, timeout);
}

bool PrometheusServer::Start(const std::vector<std::string>& targets,
                             const std::vector<std::string>& rule_files,
                             const PrometheusOptions& options, absl::Duration timeout) {
  Stop();
  const std::string binary = FindExecutable("prometheus");
  if (binary.empty()) {
    start_error_ = "no prometheus binary (Debian package prometheus)";
    return false;
  }
  if (!server_.MakeDir("prometheus")) {
    start_error_ = "mkdtemp failed";
    return false;
  }
  start_error_.clear();
  const std::string& dir = server_.dir();
  std::vector<std::string> quoted_rules;
  for (const std::string& file : rule_files) quoted_rules.push_back(Quoted(file));
  std::vector<std::string> quoted_targets;
  for (const std::string& target : targets) quoted_targets.push_back(Quoted(target));
  std::string config = absl::StrCat(
      "global:\n"
      "  scrape_interval: 1s\n"
      "  scrape_timeout: 1s\n"
      "  evaluation_interval: 1s\n");
  if (!options.external_labels.empty()) {
    absl::StrAppend(&config, "  external_labels:\n");
    for (const auto& [name, value] : options.external_labels) {
      absl::StrAppend(&config, "    ", name, ": ", Quoted(value), "\n");
    }
  }
  absl::StrAppend(&config, "rule_files: [", absl::StrJoin(quoted_rules, ", "),
                  "]\n"
                  "scrape_configs:\n"
                  "  - job_name: strata\n"
                  "    static_configs:\n"
                  "      - targets: [",
                  absl::StrJoin(quoted_targets, ", "), "]\n", options.extra_scrape_configs);
  if (!options.remote_write_urls.empty()) {
    absl::StrAppend(&config, "remote_write:\n");
    for (const std::string& url : options.remote_write_urls) {
      // Sent within a second, not the default 5 s batch deadline.
      absl::StrAppend(&config, "  - url: ", Quoted(url),
                      "\n"
                      "    queue_config:\n"
                      "      batch_send_deadline: 1s\n"
                      "      min_backoff: 100ms\n"
                      "      max_backoff: 1s\n");
    }
  }
  if (!options.alertmanagers.empty()) {
    std::vector<std::string> quoted_alertmanagers;
    for (const std::string& am : options.alertmanagers) quoted_alertmanagers.push_back(Quoted(am));
    absl::StrAppend(&config,
                    "alerting:\n"
                    "  alertmanagers:\n"
                    "    - api_version: v2\n"
                    "      static_configs:\n"
                    "        - targets: [",
                    absl::StrJoin(quoted_alertmanagers, ", "), "]\n");
  }
  std::ofstream(dir + "/prometheus.yml") << config;
  return server_.Start(
      binary,
      [&dir](int port) {
        return std::vector<std::string>{
            "--config.file=" + dir + "/prometheus.yml",
            "--storage.tsdb.path=" + dir + "/data",
            absl::StrCat("--web.listen-address=127.0.0.1:", port),
            "--log.level=info",
        };
      },
      "/-/ready", timeout);
}

void PrometheusServer::Stop() { server_.Stop(); }

PromQueryResult PrometheusServer::Query(const std::string& promql) const {
  return QueryPrometheusApi(base_url(), promql);
}

PromQueryResult QueryPrometheusApi(const std::string& base_url, const std::string& promql) {
  PromQueryResult result;
  rapidjson::Document doc;
  const rapidjson::Value* data = FetchApi(base_url + "/api/v1/query?query=" + UrlEncode(promql),
                                          doc, result.ok, result.error, result.body);
  if (data == nullptr) return result;
  auto type = data->FindMember("resultType");
  auto value = data->FindMember("result");
  if (type == data->MemberEnd() || value == data->MemberEnd() || !type->value.IsString()) {
    result.ok = false;
    result.error = "no resultType/result in " + result.body;
    return result;
  }
  result.result_type = type->value.GetString();
  const rapidjson::Value& items = value->value;
  if (result.result_type == "scalar" || result.result_type == "string") {
    PromSample sample;
    sample.value = SampleValue(items);
    result.samples.push_back(std::move(sample));
  } else if (items.IsArray()) {
    for (const auto& item : items.GetArray()) {
      PromSample sample;
      auto metric = item.FindMember("metric");
      if (metric != item.MemberEnd()) sample.labels = JsonStringMap(metric->value);
      auto single = item.FindMember("value");
      auto many = item.FindMember("values");  // matrix: keep the last point
      if (single != item.MemberEnd()) {
        sample.value = SampleValue(single->value);
      } else if (many != item.MemberEnd() && many->value.IsArray() && !many->value.Empty()) {
        sample.value = SampleValue(many->value[many->value.Size() - 1]);
      }
      result.samples.push_back(std::move(sample));
    }
  }
  return result;
}

PromAlertsResult PrometheusServer::Alerts() const {
  PromAlertsResult result;
  rapidjson::Document doc;
  const rapidjson::Value* data =
      FetchApi(base_url() + "/api/v1/alerts", doc, result.ok, result.error, result.body);
  if (data == nullptr) return result;
  auto alerts = data->FindMember("alerts");
  if (alerts == data->MemberEnd() || !alerts->value.IsArray()) {
    result.ok = false;
    result.error = "no alerts array in " + result.body;
    return result;
  }
  for (const auto& item : alerts->value.GetArray()) {
    PromAlert alert;
    auto labels = item.FindMember("labels");
    auto annotations = item.FindMember("annotations");
    auto state = item.FindMember("state");
    auto value = item.FindMember("value");
    if (labels != item.MemberEnd()) alert.labels = JsonStringMap(labels->value);
    if (annotations != item.MemberEnd()) alert.annotations = JsonStringMap(annotations->value);
    if (state != item.MemberEnd() && state->value.IsString())
      alert.state = state->value.GetString();
    if (value != item.MemberEnd() && value->value.IsString()) {
      alert.value = std::strtod(value->value.GetString(), nullptr);
    }
    result.alerts.push_back(std::move(alert));
  }
  return result;
}

}  // namespace strata::testing
