#include "collectors/ansible/ansible_results.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json_escapes.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace strata {
namespace {

constexpr const char* kStatKeys[] = {"ok",      "changed", "failures", "unreachable",
                                     "skipped", "rescued", "ignored"};

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Where the last JSON document starts: 0, or just after a line break.
std::optional<size_t> LastDocumentStart(absl::string_view text) {
  for (size_t pos = text.rfind('{'); pos != absl::string_view::npos;
       pos = pos == 0 ? absl::string_view::npos : text.rfind('{', pos - 1)) {
    if (pos == 0 || text[pos - 1] == '\n') return pos;
  }
  return std::nullopt;
}

absl::StatusOr<absl::Time> ParseCallbackTime(const rapidjson::Value& value,
                                             absl::string_view where) {
  if (!value.IsString()) return Invalid(where, "not a string");
  absl::Time time;
  std::string error;
  // The callback writes datetime.utcnow().isoformat() + "Z".
  if (!absl::ParseTime(absl::RFC3339_full,
                       absl::string_view(value.GetString(), value.GetStringLength()), &time,
                       &error)) {
    return Invalid(where, absl::StrCat("not an ISO 8601 time: ", error));
  }
  return time;
}

absl::Status ReadPlays(const rapidjson::Value& plays, AnsibleResults& results) {
  if (!plays.IsArray()) return Invalid("plays", "not an array");
  for (rapidjson::SizeType i = 0; i < plays.Size(); ++i) {
    const std::string where = absl::StrCat("plays[", i, "].play.duration");
    const rapidjson::Value& entry = plays[i];
    const rapidjson::Value* play = entry.IsObject() ? Member(entry, "play") : nullptr;
    const rapidjson::Value* duration =
        play != nullptr && play->IsObject() ? Member(*play, "duration") : nullptr;
    if (duration == nullptr || !duration->IsObject()) return Invalid(where, "missing");
    const rapidjson::Value* start = Member(*duration, "start");
    if (start == nullptr) return Invalid(where + ".start", "missing");
    absl::StatusOr<absl::Time> start_time = ParseCallbackTime(*start, where + ".start");
    if (!start_time.ok()) return start_time.status();
    if (!results.start.has_value() || *start_time < *results.start) results.start = *start_time;
    // A play none of whose tasks reported a result has no end.
    if (const rapidjson::Value* end = Member(*duration, "end")) {
      absl::StatusOr<absl::Time> end_time = ParseCallbackTime(*end, where + ".end");
      if (!end_time.ok()) return end_time.status();
      if (!results.end.has_value() || *end_time > *results.end) results.end = *end_time;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AnsibleHostStats> ReadHostStats(const rapidjson::Value& recap,
                                               const std::string& where) {
  if (!recap.IsObject()) return Invalid(where, "not an object");
  AnsibleHostStats stats;
  double failed = 0;
  for (const char* key : kStatKeys) {
    const rapidjson::Value* value = Member(recap, key);
    const bool required =
        absl::string_view(key) == "failures" || absl::string_view(key) == "unreachable";
    if (value == nullptr) {
      if (required) return Invalid(absl::StrCat(where, ".", key), "missing");
      continue;
    }
    if (!value->IsNumber() || !std::isfinite(value->GetDouble()) || value->GetDouble() < 0) {
      return Invalid(absl::StrCat(where, ".", key), "not a count");
    }
    stats.counts.emplace_back(key, value->GetDouble());
    if (required) failed += value->GetDouble();
  }
  stats.success = failed == 0;
  return stats;
}

absl::StatusOr<std::optional<bool>> ReadCheckMode(const rapidjson::Value& document) {
  const rapidjson::Value* custom = Member(document, "global_custom_stats");
  if (custom == nullptr) return std::nullopt;
  if (!custom->IsObject()) return Invalid("global_custom_stats", "not an object");
  const rapidjson::Value* check = Member(*custom, "check_mode");
  if (check == nullptr) return std::nullopt;
  if (check->IsBool()) return check->GetBool();
  // "{{ ansible_check_mode | string }}" gives "True" or "False".
  if (check->IsString()) {
    absl::string_view text(check->GetString(), check->GetStringLength());
    if (absl::EqualsIgnoreCase(text, "true")) return true;
    if (absl::EqualsIgnoreCase(text, "false")) return false;
  }
  return Invalid("global_custom_stats.check_mode", "not true or false");
}

}  // namespace

absl::StatusOr<AnsibleResults> ParseAnsibleResults(absl::string_view text) {
  std::optional<size_t> start = LastDocumentStart(text);
  if (!start.has_value()) {
    return absl::InvalidArgumentError(
        "no JSON document (no line starts with '{'): is ANSIBLE_STDOUT_CALLBACK=json set?");
  }
  text.remove_prefix(*start);
  rapidjson::Document document;
  // Iterative: deep nesting cannot exhaust the stack. Stop when done: lines
  // a wrapper printed after the document do not matter.
  if (absl::Status parsed =
          ParseUntrustedJson<rapidjson::kParseStopWhenDoneFlag>(text, document, *start);
      !parsed.ok()) {
    return parsed;
  }
  if (!document.IsObject()) return absl::InvalidArgumentError("not a JSON object");

  AnsibleResults results;
  const rapidjson::Value* plays = Member(document, "plays");
  if (plays == nullptr) return Invalid("plays", "missing: not the json callback's output");
  if (absl::Status status = ReadPlays(*plays, results); !status.ok()) return status;

  const rapidjson::Value* stats = Member(document, "stats");
  if (stats == nullptr) return Invalid("stats", "missing: the run did not finish");
  if (!stats->IsObject()) return Invalid("stats", "not an object");
  for (const auto& member : stats->GetObject()) {
    std::string host(member.name.GetString(), member.name.GetStringLength());
    absl::StatusOr<AnsibleHostStats> host_stats =
        ReadHostStats(member.value, absl::StrCat("stats.", host));
    if (!host_stats.ok()) return host_stats.status();
    results.hosts.emplace(std::move(host), *std::move(host_stats));
  }

  absl::StatusOr<std::optional<bool>> check_mode = ReadCheckMode(document);
  if (!check_mode.ok()) return check_mode.status();
  results.check_mode = *check_mode;
  return results;
}

std::vector<std::string> AnsibleLocalHostNames(absl::string_view hostname) {
  std::vector<std::string> names = {"localhost"};
  auto add = [&](absl::string_view name) {
    if (name.empty()) return;
    for (const std::string& have : names) {
      if (have == name) return;
    }
    names.emplace_back(name);
  };
  add(hostname);
  add(hostname.substr(0, hostname.find('.')));
  add("127.0.0.1");
  return names;
}

}  // namespace strata
