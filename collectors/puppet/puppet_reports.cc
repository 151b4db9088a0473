#include "collectors/puppet/puppet_reports.h"

#include <cmath>
#include <istream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/bounded_yaml.h"
#include "base/json_escapes.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace strata {
namespace {

// --- Bounds (base/bounded_yaml.h) ----------------------------------------------

// A summary has fewer than 100 nodes; 10,000 keep YAML::Load under 5 MB.
constexpr int64_t kMaxSummaryNodes = 10000;

// --- The summary ---------------------------------------------------------------

absl::StatusOr<std::string> ScalarText(const YAML::Node& node, absl::string_view where) {
  if (!node || node.IsNull()) return std::string();
  if (!node.IsScalar()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a scalar"));
  return node.Scalar();
}

absl::StatusOr<double> Number(const YAML::Node& node, absl::string_view where) {
  if (!node.IsScalar()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": not a number"));
  }
  double value = 0;
  if (!YAML::convert<double>::decode(node, value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": \"", node.Scalar(), "\" is not a number"));
  }
  return value;
}

// One section of numbers (resources, events, time, changes), in file order;
// nothing when the section is absent or null.
absl::StatusOr<std::vector<std::pair<std::string, double>>> NumberSection(const YAML::Node& root,
                                                                          const char* name) {
  std::vector<std::pair<std::string, double>> values;
  const YAML::Node section = root[name];
  if (!section || section.IsNull()) return values;
  if (!section.IsMap()) return absl::InvalidArgumentError(absl::StrCat(name, ": not a mapping"));
  for (const auto& entry : section) {
    if (!entry.first.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": a key that is not a scalar"));
    }
    const std::string key = entry.first.Scalar();
    absl::StatusOr<double> value = Number(entry.second, absl::StrCat(name, ".", key));
    if (!value.ok()) return value.status();
    values.emplace_back(key, *value);
  }
  return values;
}

absl::StatusOr<PuppetSummary> SummaryFromYaml(const YAML::Node& root) {
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(root.IsNull() || !root ? "empty"
                                                             : "not a mapping of sections");
  }
  PuppetSummary summary;
  const YAML::Node version = root["version"];
  if (version && !version.IsNull()) {
    if (!version.IsMap()) return absl::InvalidArgumentError("version: not a mapping");
    absl::StatusOr<std::string> config = ScalarText(version["config"], "version.config");
    if (!config.ok()) return config.status();
    absl::StatusOr<std::string> puppet = ScalarText(version["puppet"], "version.puppet");
    if (!puppet.ok()) return puppet.status();
    summary.config_version = *std::move(config);
    summary.puppet_version = *std::move(puppet);
  }
  const YAML::Node application = root["application"];
  if (application && application.IsMap()) {
    absl::StatusOr<std::string> environment =
        ScalarText(application["converged_environment"], "application.converged_environment");
    if (!environment.ok()) return environment.status();
    summary.environment = *std::move(environment);
  }

  auto resources = NumberSection(root, "resources");
  if (!resources.ok()) return resources.status();
  summary.resources = *std::move(resources);
  auto events = NumberSection(root, "events");
  if (!events.ok()) return events.status();
  summary.events = *std::move(events);
  auto changes = NumberSection(root, "changes");
  if (!changes.ok()) return changes.status();
  for (const auto& [key, value] : *changes) {
    if (key == "total") summary.changes = value;
  }
  auto times = NumberSection(root, "time");
  if (!times.ok()) return times.status();
  bool have_last_run = false;
  for (auto& [key, value] : *times) {
    if (key == "last_run") {
      summary.last_run = value;
      have_last_run = true;
    } else if (key == "total") {
      summary.total_seconds = value;
    } else {
      summary.times.emplace_back(std::move(key), value);
    }
  }
  if (!have_last_run) {
    return absl::InvalidArgumentError("no time.last_run (Puppet writes it on every run)");
  }
  return summary;
}

// --- The report's head -----------------------------------------------------------

// Top-level keys of the report that are read.
constexpr const char* kReportKeys[] = {"time",           "status",       "transaction_completed",
                                       "noop",           "noop_pending", "configuration_version",
                                       "puppet_version", "environment"};

// Keys after which nothing the head needs follows (Puppet 5 and later write
// status and noop first); they hold the bulk of a report.
bool IsBulkKey(const std::string& key) {
  return key == "logs" || key == "metrics" || key == "resource_statuses";
}

bool IsReportKey(const std::string& key) {
  for (const char* wanted : kReportKeys) {
    if (key == wanted) return true;
  }
  return false;
}

// Collects the scalar values of the top-level keys the head needs and ends
// the parse (by throwing Stop) at the first key after them.
class ReportHeadHandler : public YAML::EventHandler {
 public:
  struct Stop {};
  // A top-level value; nullopt for null, `collection` for a mapping or sequence.
  struct Value {
    std::optional<std::string> scalar;
    bool collection = false;
  };

  bool root_is_map() const { return root_is_map_; }
  bool stopped() const { return stopped_; }
  const std::map<std::string, Value>& values() const { return values_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { Node(std::nullopt, false); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Node(std::nullopt, false); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    Node(value, false);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    if (depth_ == 0) throw Stop{};  // a report is a mapping
    Deeper();
  }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    if (depth_ == 0) root_is_map_ = true;
    Deeper();
  }
  void OnSequenceEnd() override { EndCollection(); }
  void OnMapEnd() override { EndCollection(); }

 private:
  void Deeper() {
    if (++depth_ > kMaxYamlDepth) throw YamlLimit{YamlNestingTooDeep()};
  }

  void EndCollection() {
    --depth_;
    if (depth_ == 1) Done(std::nullopt, true);
  }

  // A scalar, null or alias; only those directly in the root mapping count.
  void Node(const std::optional<std::string>& scalar, bool collection) {
    if (depth_ == 0) throw Stop{};  // a bare scalar document: not a report
    if (depth_ == 1) Done(scalar, collection);
  }

  // A key or value of the root mapping is complete.
  void Done(const std::optional<std::string>& scalar, bool collection) {
    if (expecting_key_) {
      key_ = collection || !scalar.has_value() ? std::string() : *scalar;
      // Every value so far is complete once the next key is read.
      if (HaveAll() || (IsBulkKey(key_) && values_.count("status"))) {
        stopped_ = true;
        throw Stop{};
      }
      expecting_key_ = false;
      return;
    }
    if (IsReportKey(key_)) values_[key_] = Value{scalar, collection};
    expecting_key_ = true;
  }

  bool HaveAll() const {
    for (const char* wanted : kReportKeys) {
      if (!values_.count(wanted)) return false;
    }
    return true;
  }

  int depth_ = 0;
  bool root_is_map_ = false;
  bool expecting_key_ = true;
  bool stopped_ = false;
  std::string key_;
  std::map<std::string, Value> values_;
};

absl::StatusOr<std::string> ReportString(const std::map<std::string, ReportHeadHandler::Value>& v,
                                         const char* key) {
  auto it = v.find(key);
  if (it == v.end() || !it->second.scalar.has_value()) {
    if (it != v.end() && it->second.collection) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": not a scalar"));
    }
    return std::string();
  }
  return *it->second.scalar;
}

absl::StatusOr<std::optional<bool>> ReportBool(
    const std::map<std::string, ReportHeadHandler::Value>& v, const char* key) {
  absl::StatusOr<std::string> text = ReportString(v, key);
  if (!text.ok()) return text.status();
  if (text->empty()) return std::nullopt;
  bool value = false;
  if (!YAML::convert<bool>::decode(YAML::Node(*text), value)) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": \"", *text, "\" is not a boolean"));
  }
  return value;
}

// Puppet 5 and later write ISO 8601 with nanoseconds
// ("2024-05-01T12:00:00.123456789+02:00"); Ruby's own YAML for a Time, as
// older reports have it, is "2024-05-01 12:00:00.123456789 +02:00".
absl::StatusOr<double> ReportTime(const std::string& text) {
  absl::Time time;
  std::string error;
  for (const char* format : {"%Y-%m-%d%ET%H:%M:%E*S%Ez", "%Y-%m-%d %H:%M:%E*S %Ez"}) {
    if (absl::ParseTime(format, text, &time, &error))
      return absl::ToDoubleSeconds(time - absl::UnixEpoch());
  }
  return absl::InvalidArgumentError(absl::StrCat("time: \"", text, "\" is not a time: ", error));
}

}  // namespace

absl::StatusOr<PuppetSummary> ParsePuppetSummary(absl::string_view text) {
  absl::StatusOr<YAML::Node> root = LoadBoundedYaml(text, kMaxSummaryNodes);
  if (!root.ok()) return root.status();
  try {
    return SummaryFromYaml(*root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.what()));
  }
}

absl::StatusOr<PuppetReportHead> ParsePuppetReportHead(absl::string_view text, bool whole_file) {
  // The head parser builds no tree: the scanner's look-ahead and the depth
  // are what need bounds here.
  FlowBoundedBuffer buffer(text);
  ReportHeadHandler handler;
  std::string parse_error;
  try {
    std::istream in(&buffer);
    YAML::Parser parser(in);
    parser.HandleNextDocument(handler);
  } catch (const ReportHeadHandler::Stop&) {
  } catch (const YamlLimit& limit) {
    return limit.status;
  } catch (const YAML::Exception& e) {
    parse_error = e.what();
  }
  if (buffer.exceeded()) return YamlTooManyFlowOpeners();
  if (!handler.stopped()) {
    if (!whole_file) return absl::UnavailableError("the head of the report is not complete yet");
    if (!parse_error.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", parse_error));
    }
  }
  if (!handler.root_is_map()) return absl::InvalidArgumentError("not a mapping: not a report");
  const auto& values = handler.values();

  PuppetReportHead head;
  absl::StatusOr<std::string> status = ReportString(values, "status");
  if (!status.ok()) return status.status();
  if (status->empty()) return absl::InvalidArgumentError("no status");
  head.status = *std::move(status);
  for (auto [key, target] : {std::make_pair("configuration_version", &head.config_version),
                             std::make_pair("puppet_version", &head.puppet_version),
                             std::make_pair("environment", &head.environment)}) {
    absl::StatusOr<std::string> value = ReportString(values, key);
    if (!value.ok()) return value.status();
    *target = *std::move(value);
  }
  for (auto [key, target] :
       {std::make_pair("transaction_completed", &head.transaction_completed),
        std::make_pair("noop", &head.noop), std::make_pair("noop_pending", &head.noop_pending)}) {
    absl::StatusOr<std::optional<bool>> value = ReportBool(values, key);
    if (!value.ok()) return value.status();
    *target = *value;
  }
  absl::StatusOr<std::string> time = ReportString(values, "time");
  if (!time.ok()) return time.status();
  if (!time->empty()) {
    absl::StatusOr<double> seconds = ReportTime(*time);
    if (!seconds.ok()) return seconds.status();
    head.time = *seconds;
  }
  return head;
}

absl::StatusOr<PuppetReportTail> ParsePuppetReportTail(absl::string_view text, bool whole_file) {
  if (!whole_file) {
    const size_t first_newline = text.find('\n');
    text = first_newline == absl::string_view::npos ? absl::string_view()
                                                    : text.substr(first_newline + 1);
  }
  constexpr absl::string_view kKey = "cached_catalog_status:";
  // The last top-level occurrence: the one Puppet wrote last.
  absl::string_view line;
  for (absl::string_view candidate : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(candidate, kKey)) line = candidate;
  }
  PuppetReportTail tail;
  if (line.empty()) return tail;
  // yaml-cpp reads the one line, so quoting and the null forms are YAML's.
  absl::StatusOr<YAML::Node> root = LoadBoundedYaml(line, 8);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cached_catalog_status: ", root.status().message()));
  }
  if (!root->IsMap()) {
    return absl::InvalidArgumentError("cached_catalog_status: not a key with a value");
  }
  try {
    absl::StatusOr<std::string> value =
        ScalarText((*root)["cached_catalog_status"], "cached_catalog_status");
    if (!value.ok()) return value.status();
    tail.cached_catalog_status = *std::move(value);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cached_catalog_status: not valid YAML: ", e.what()));
  }
  return tail;
}

bool PuppetReportMatchesSummary(const PuppetReportHead& report, const PuppetSummary& summary) {
  // Both carry the catalog's version; puppet apply's is the compile time.
  if (!report.config_version.empty() && !summary.config_version.empty() &&
      report.config_version != summary.config_version) {
    return false;
  }
  if (!report.time.has_value()) return true;  // nothing else to tell them apart by
  if (!summary.total_seconds.has_value()) return *report.time <= summary.last_run + 1;
  // Puppet times the run (start + total) and writes the summary right after,
  // with last_run in whole seconds rounded down; half a minute covers a slow
  // disk, and the next run of the same catalog comes much later.
  const double lag = summary.last_run - (*report.time + *summary.total_seconds);
  return lag >= -1.5 && lag <= 30;
}

absl::StatusOr<std::string> ParsePuppetDisableLock(absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) return std::string();
  rapidjson::Document document;
  // Iterative: the recursive parser overflowed the stack on 65,536 "[".
  if (absl::Status parsed = ParseUntrustedJson(text, document); !parsed.ok()) return parsed;
  if (!document.IsObject()) return absl::InvalidArgumentError("not a JSON object");
  auto it = document.FindMember("disabled_message");
  if (it == document.MemberEnd() || it->value.IsNull()) return std::string();
  if (!it->value.IsString()) {
    return absl::InvalidArgumentError("disabled_message: not a string");
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string TruncateLabelValue(absl::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return std::string(value);
  size_t cut = max_bytes;
  // Back off over UTF-8 continuation bytes (10xxxxxx) to a character start.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return std::string(value.substr(0, cut));
}

}  // namespace strata
