#include "collectors/chef/chef_report.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/json_escapes.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"

namespace strata {
namespace {

constexpr absl::string_view kReportPrefix = "chef-run-report-";
constexpr absl::string_view kReportSuffix = ".json";

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

absl::string_view StringOf(const rapidjson::Value& value) {
  return absl::string_view(value.GetString(), value.GetStringLength());
}

// Time#to_s ("2024-05-01 12:00:00 +0000"); null or "" when the run never got
// that far.
absl::StatusOr<std::optional<absl::Time>> ReadTime(const rapidjson::Value& report,
                                                   const char* name) {
  const rapidjson::Value* value = Member(report, name);
  if (value == nullptr) return Invalid(name, "missing");
  if (value->IsNull()) return std::nullopt;
  if (!value->IsString()) return Invalid(name, "not a string");
  absl::string_view text = absl::StripAsciiWhitespace(StringOf(*value));
  if (text.empty()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S %z", text, &time, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return time;
  }
  return Invalid(name, absl::StrCat("not a time: \"", text.substr(0, 64), "\""));
}

// The length of an array member; null (a run that failed before its
// resources were compiled, in older clients) is unknown.
absl::StatusOr<std::optional<double>> ReadCount(const rapidjson::Value& report, const char* name) {
  const rapidjson::Value* value = Member(report, name);
  if (value == nullptr) return Invalid(name, "missing");
  if (value->IsNull()) return std::nullopt;
  if (!value->IsArray()) return Invalid(name, "not an array");
  return static_cast<double>(value->Size());
}

}  // namespace

absl::StatusOr<ChefRun> ParseChefRunReport(absl::string_view text) {
  rapidjson::Document document;
  if (absl::Status parsed = ParseUntrustedJson(text, document); !parsed.ok()) return parsed;
  if (!document.IsObject()) return absl::InvalidArgumentError("not a JSON object");

  ChefRun run;
  const rapidjson::Value* success = Member(document, "success");
  if (success == nullptr) return Invalid("success", "missing: not a json_file run report");
  if (!success->IsBool()) return Invalid("success", "not true or false");
  run.success = success->GetBool();

  absl::StatusOr<std::optional<absl::Time>> start = ReadTime(document, "start_time");
  if (!start.ok()) return start.status();
  run.start = *start;
  absl::StatusOr<std::optional<absl::Time>> end = ReadTime(document, "end_time");
  if (!end.ok()) return end.status();
  run.end = *end;

  if (const rapidjson::Value* elapsed = Member(document, "elapsed_time");
      elapsed != nullptr && !elapsed->IsNull()) {
    if (!elapsed->IsNumber() || !std::isfinite(elapsed->GetDouble()) || elapsed->GetDouble() < 0) {
      return Invalid("elapsed_time", "not a duration in seconds");
    }
    run.elapsed_seconds = elapsed->GetDouble();
  }

  absl::StatusOr<std::optional<double>> total = ReadCount(document, "all_resources");
  if (!total.ok()) return total.status();
  run.total_resources = *total;
  absl::StatusOr<std::optional<double>> updated = ReadCount(document, "updated_resources");
  if (!updated.ok()) return updated.status();
  run.updated_resources = *updated;

  if (const rapidjson::Value* exception = Member(document, "exception");
      exception != nullptr && !exception->IsNull()) {
    if (!exception->IsString()) return Invalid("exception", "not a string");
    run.exception = std::string(StringOf(*exception));
  }

  // The client's version, as Ohai reports it in the node's automatic
  // attributes; informational, so a report without it is fine.
  const rapidjson::Value* version = &document;
  for (const char* name : {"node", "automatic", "chef_packages", "chef", "version"}) {
    version = Member(*version, name);
    if (version == nullptr) break;
  }
  if (version != nullptr && !version->IsNull()) {
    if (!version->IsString())
      return Invalid("node.automatic.chef_packages.chef.version", "not a string");
    run.chef_version = std::string(StringOf(*version));
  }
  return run;
}

std::optional<std::string> NewestChefRunReport(const std::vector<std::string>& names) {
  std::optional<std::string> newest;
  for (const std::string& name : names) {
    absl::string_view stamp = name;
    if (!absl::ConsumePrefix(&stamp, kReportPrefix) ||
        !absl::ConsumeSuffix(&stamp, kReportSuffix) || stamp.empty()) {
      continue;
    }
    bool digits = true;
    for (char c : stamp) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (!digits) continue;
    if (!newest.has_value() || name > *newest) newest = name;
  }
  return newest;
}

}  // namespace strata
