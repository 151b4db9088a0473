#include "tests/support/prometheus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "rapidjson/document.h"
#include "tests/support/http_client.h"
#include "tests/support/test_files.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;

// A port that was free on 127.0.0.1 a moment ago: bind to port 0, read what
// the kernel gave, close. Prometheus cannot listen on port 0 and report it,
// so a race with another process is possible; Start() retries on it.
int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// YAML double-quoted scalar.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::map<std::string, std::string> StringMap(const rapidjson::Value& object) {
  std::map<std::string, std::string> out;
  if (!object.IsObject()) return out;
  for (const auto& member : object.GetObject()) {
    if (member.value.IsString()) out[member.name.GetString()] = member.value.GetString();
  }
  return out;
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

std::string PrometheusServer::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::string PrometheusServer::log() const {
  std::string text = dir_.empty() ? "" : ReadWholeFile(dir_ + "/prometheus.log");
  return start_error_.empty() ? text : start_error_ + "\n" + text;
}

bool PrometheusServer::Start(const std::string& target, const std::vector<std::string>& rule_files,
                             absl::Duration timeout) {
  return Start(std::vector<std::string>{target}, rule_files, timeout);
}

bool PrometheusServer::Start(const std::vector<std::string>& targets,
                             const std::vector<std::string>& rule_files, absl::Duration timeout) {
  Stop();
  const std::string binary = FindExecutable("prometheus");
  if (binary.empty()) {
    start_error_ = "no prometheus binary (Debian package prometheus)";
    return false;
  }
  char dir_template[] = "/tmp/strata-prometheus-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    start_error_ = "mkdtemp failed";
    return false;
  }
  dir_ = dir_template;
  std::vector<std::string> quoted_rules;
  for (const std::string& file : rule_files) quoted_rules.push_back(Quoted(file));
  std::vector<std::string> quoted_targets;
  for (const std::string& target : targets) quoted_targets.push_back(Quoted(target));
  const std::string config = absl::StrCat(
      "global:\n"
      "  scrape_interval: 1s\n"
      "  scrape_timeout: 1s\n"
      "  evaluation_interval: 1s\n"
      "rule_files: [",
      absl::StrJoin(quoted_rules, ", "),
      "]\n"
      "scrape_configs:\n"
      "  - job_name: strata\n"
      "    static_configs:\n"
      "      - targets: [",
      absl::StrJoin(quoted_targets, ", "), "]\n");
  std::ofstream(dir_ + "/prometheus.yml") << config;

  const absl::Time deadline = absl::Now() + timeout;
  for (int attempt = 0; attempt < 5 && absl::Now() < deadline; ++attempt) {
    if (StartOnce(binary, deadline)) return true;
    // Only a lost race for the port is worth another try.
    if (log().find("address already in use") == std::string::npos) break;
  }
  return false;
}

bool PrometheusServer::StartOnce(const std::string& binary, absl::Time deadline) {
  port_ = PickFreePort();
  if (port_ == 0) {
    start_error_ = "no free port on 127.0.0.1";
    return false;
  }
  std::vector<std::string> args = {
      binary,
      "--config.file=" + dir_ + "/prometheus.yml",
      "--storage.tsdb.path=" + dir_ + "/data",
      absl::StrCat("--web.listen-address=127.0.0.1:", port_),
      "--log.level=info",
  };
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string log_path = dir_ + "/prometheus.log";
  const pid_t parent = getpid();
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    start_error_ = "cannot create " + log_path;
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  if (pid < 0) {
    start_error_ = "fork failed";
    return false;
  }
  pid_ = pid;
  start_error_.clear();
  const std::string ready_url = base_url() + "/-/ready";
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      start_error_ = absl::StrCat("prometheus exited with status ", status, " on port ", port_);
      return false;
    }
    HttpGetOptions options;
    options.timeout_ms = 1000;
    HttpResult ready = HttpGet(ready_url, options);
    if (ready.ok && ready.status == 200) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  start_error_ = "prometheus not ready in time";
  // Keep the temp dir (and log) until Stop().
  const pid_t stale = pid_;
  kill(stale, SIGKILL);
  waitpid(stale, nullptr, 0);
  pid_ = -1;
  return false;
}

void PrometheusServer::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    bool exited = false;
    while (absl::Now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    dir_.clear();
  }
}

PromQueryResult PrometheusServer::Query(const std::string& promql) const {
  PromQueryResult result;
  rapidjson::Document doc;
  const rapidjson::Value* data = FetchApi(base_url() + "/api/v1/query?query=" + UrlEncode(promql),
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
      if (metric != item.MemberEnd()) sample.labels = StringMap(metric->value);
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
    if (labels != item.MemberEnd()) alert.labels = StringMap(labels->value);
    if (annotations != item.MemberEnd()) alert.annotations = StringMap(annotations->value);
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
