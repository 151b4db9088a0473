#include "collectors/cgroup/container_drift.h"

#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/json_escapes.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace strata {
namespace {

// RapidJSON decodes a lone low surrogate escape ("\udc00") into three bytes
// that are not UTF-8 (see base/json_escapes.h); paths become label values.
std::string RepairSurrogates(const char* text, size_t size) {
  std::string out(text, size);
  for (size_t i = 0; i + 2 < out.size(); ++i) {
    if (static_cast<unsigned char>(out[i]) == 0xED &&
        static_cast<unsigned char>(out[i + 1]) >= 0xA0) {
      out.replace(i, 3, "\xEF\xBF\xBD");
      i += 2;
    }
  }
  return out;
}

bool UnderAny(absl::string_view path, const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (PathIsUnder(path, prefix)) return true;
  }
  return false;
}

bool AboveAny(absl::string_view path, const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (path != prefix && PathIsUnder(prefix, path)) return true;
  }
  return false;
}

// A SAX handler for the change list: a state machine over the array's
// elements, skipping members it does not use however deep they are.
class ChangesHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ChangesHandler> {
 public:
  explicit ChangesHandler(const DriftRules& rules) : rules_(rules) {}

  bool Null() { return Scalar(kNull); }
  bool Bool(bool) { return Scalar(kOther); }
  bool Int(int value) { return Number(value >= 0, static_cast<uint64_t>(value)); }
  bool Uint(unsigned value) { return Number(true, value); }
  bool Int64(int64_t value) { return Number(value >= 0, static_cast<uint64_t>(value)); }
  bool Uint64(uint64_t value) { return Number(true, value); }
  bool Double(double) { return Number(false, 0); }
  bool String(const char* text, rapidjson::SizeType size, bool) {
    if (depth_ == 2 && member_ == kPath) {
      path_ = RepairSurrogates(text, size);
      have_path_ = true;
      return true;
    }
    return Scalar(kString);
  }
  bool Key(const char* text, rapidjson::SizeType size, bool) {
    if (depth_ == 2) {
      const absl::string_view key(text, size);
      member_ = key == "Path" ? kPath : key == "Kind" ? kKind : kIgnored;
    }
    return true;
  }
  bool StartObject() {
    if (depth_ == 0) return Fail("not an array");
    if (depth_ == 1) {
      have_path_ = have_kind_ = false;
    } else if (depth_ == 2 && member_ != kIgnored) {
      return Fail(
          Element(member_ == kPath ? "\"Path\" is not a string" : "\"Kind\" is not 0, 1 or 2"));
    }
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (--depth_ == 1) {
      if (!have_path_) return Fail(Element("no \"Path\""));
      if (!have_kind_) return Fail(Element("no \"Kind\""));
      Classify();
      ++index_;
    }
    return true;
  }
  bool StartArray() {
    if (depth_ == 1) return Fail(Element("not an object"));
    if (depth_ == 2 && member_ != kIgnored) {
      return Fail(
          Element(member_ == kPath ? "\"Path\" is not a string" : "\"Kind\" is not 0, 1 or 2"));
    }
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

  // Set when the handler stopped the parse; empty otherwise.
  const std::string& error() const { return error_; }

  ContainerDrift Finish() {
    drift_.paths.assign(kept_.begin(), kept_.end());
    return std::move(drift_);
  }

 private:
  enum Member { kPath, kKind, kIgnored };
  enum ScalarType { kNull, kString, kOther };

  std::string Element(absl::string_view what) const {
    return absl::StrCat("element ", index_, ": ", what);
  }
  bool Fail(std::string error) {
    error_ = std::move(error);
    return false;
  }
  bool Scalar(ScalarType type) {
    if (depth_ == 0) {
      if (type == kNull) return true;  // nothing changed
      return Fail("not an array");
    }
    if (depth_ == 1) return Fail(Element("not an object"));
    if (depth_ == 2 && member_ == kPath) return Fail(Element("\"Path\" is not a string"));
    if (depth_ == 2 && member_ == kKind) return Fail(Element("\"Kind\" is not 0, 1 or 2"));
    return true;
  }
  bool Number(bool non_negative_integer, uint64_t value) {
    if (depth_ == 2 && member_ == kKind) {
      if (!non_negative_integer || value > 2) return Fail(Element("\"Kind\" is not 0, 1 or 2"));
      kind_ = static_cast<ChangeKind>(value);
      have_kind_ = true;
      return true;
    }
    return Scalar(kOther);
  }

  void Classify() {
    const bool expected =
        UnderAny(path_, rules_.expected_prefixes) ||
        (kind_ == ChangeKind::kModified && AboveAny(path_, rules_.expected_prefixes));
    if (expected) {
      ++drift_.expected;
      return;
    }
    switch (kind_) {
      case ChangeKind::kModified:
        ++drift_.modified;
        break;
      case ChangeKind::kAdded:
        ++drift_.added;
        break;
      case ChangeKind::kDeleted:
        ++drift_.deleted;
        break;
    }
    if (!UnderAny(path_, rules_.drift_prefixes)) return;
    ++drift_.drift_prefix_paths;
    // Keep the first max_paths in byte order, whatever order the engine
    // lists them in, so the same drift gives the same series every time.
    // A path the engine lists twice is listed once; the repeat counts as
    // left out, so that paths plus skipped stays the drift under the prefixes.
    if (rules_.max_paths <= 0 || kept_.count(DriftedPath{path_, kind_}) > 0) {
      ++drift_.skipped;
      return;
    }
    if (static_cast<int>(kept_.size()) == rules_.max_paths) {
      auto last = std::prev(kept_.end());
      if (!(path_ < last->path)) {
        ++drift_.skipped;
        return;
      }
      kept_.erase(last);
      ++drift_.skipped;
    }
    kept_.insert({path_, kind_});
  }

  const DriftRules& rules_;
  int depth_ = 0;
  Member member_ = kIgnored;
  size_t index_ = 0;
  std::string path_;
  ChangeKind kind_ = ChangeKind::kModified;
  bool have_path_ = false;
  bool have_kind_ = false;
  std::set<DriftedPath> kept_;
  ContainerDrift drift_;
  std::string error_;
};

const rapidjson::Value* FindMember(const rapidjson::Value& object, const char* name) {
  rapidjson::Value::ConstMemberIterator it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// An RFC 3339 time member of `object`; nullopt when absent, null or empty.
absl::StatusOr<std::optional<double>> ReadTime(const rapidjson::Value& object, const char* name,
                                               absl::string_view where) {
  const rapidjson::Value* value = FindMember(object, name);
  if (value == nullptr || value->IsNull()) return std::nullopt;
  if (!value->IsString()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", name, "\" is not a string"));
  }
  const absl::string_view text(value->GetString(), value->GetStringLength());
  if (text.empty()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": \"", name, "\" is not an RFC 3339 time: ", error));
  }
  const double seconds = absl::ToDoubleSeconds(time - absl::UnixEpoch());
  if (!std::isfinite(seconds)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", name, "\" is not a finite time"));
  }
  // Go's zero time, which Docker writes for "never".
  if (time <= absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone())) {
    return std::nullopt;
  }
  return seconds;
}

absl::Status ParseObject(absl::string_view json, absl::string_view where,
                         rapidjson::Document& document) {
  if (absl::Status parsed = ParseUntrustedJson(json, document); !parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", parsed.message()));
  }
  if (!document.IsObject())
    return absl::InvalidArgumentError(absl::StrCat(where, ": not an object"));
  return absl::OkStatus();
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kModified:
      return "modified";
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kDeleted:
      return "deleted";
  }
  return "modified";
}

bool PathIsUnder(absl::string_view path, absl::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix == "/") return absl::StartsWith(path, "/");
  if (!absl::StartsWith(path, prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

absl::StatusOr<ContainerDrift> ParseContainerChanges(absl::string_view json,
                                                     const DriftRules& rules) {
  ChangesHandler handler(rules);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  if (!handler.error().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("changes: ", handler.error()));
  }
  if (result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat("changes: not JSON at offset ", result.Offset(),
                                                   ": ",
                                                   rapidjson::GetParseError_En(result.Code())));
  }
  return handler.Finish();
}

absl::StatusOr<std::optional<double>> ParseContainerStartedAt(absl::string_view json) {
  rapidjson::Document document;
  if (absl::Status status = ParseObject(json, "containers/{id}/json", document); !status.ok()) {
    return status;
  }
  const rapidjson::Value* state = FindMember(document, "State");
  if (state == nullptr || state->IsNull()) return std::nullopt;
  if (!state->IsObject()) {
    return absl::InvalidArgumentError("containers/{id}/json: \"State\" is not an object");
  }
  return ReadTime(*state, "StartedAt", "containers/{id}/json: State");
}

absl::StatusOr<std::optional<double>> ParseImageCreated(absl::string_view json) {
  rapidjson::Document document;
  if (absl::Status status = ParseObject(json, "images/{id}/json", document); !status.ok()) {
    return status;
  }
  return ReadTime(document, "Created", "images/{id}/json");
}

}  // namespace strata
