#include "collectors/image/image_release.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace strata {
namespace {

absl::Status LineError(size_t line_number, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", what));
}

bool IsKey(absl::string_view key) {
  if (key.empty() || absl::ascii_isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool OnlySpace(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// The value after '=': quoted or bare, as os-release(5) allows.
absl::StatusOr<std::string> ParseValue(absl::string_view raw) {
  raw = absl::StripLeadingAsciiWhitespace(raw);
  std::string value;
  if (raw.empty()) return value;
  if (raw[0] == '\'') {
    size_t close = raw.find('\'', 1);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("unbalanced single quote");
    }
    if (!OnlySpace(raw.substr(close + 1))) {
      return absl::InvalidArgumentError("text after the closing quote");
    }
    return std::string(raw.substr(1, close - 1));
  }
  if (raw[0] == '"') {
    for (size_t i = 1; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c == '"') {
        if (!OnlySpace(raw.substr(i + 1))) {
          return absl::InvalidArgumentError("text after the closing quote");
        }
        return value;
      }
      if (c == '\\' && i + 1 < raw.size()) {
        const char next = raw[i + 1];
        if (next == '"' || next == '\\' || next == '`' || next == '$') {
          value += next;
          ++i;
          continue;
        }
      }
      value += c;
    }
    return absl::InvalidArgumentError("unbalanced double quote");
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      value += raw[++i];
    } else if (c == '"' || c == '\'') {
      return absl::InvalidArgumentError(
          "unbalanced quote inside an unquoted value (quote the whole value)");
    } else {
      value += c;
    }
  }
  absl::StripTrailingAsciiWhitespace(&value);
  return value;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseOsRelease(absl::string_view text) {
  std::map<std::string, std::string> values;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripLeadingAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return LineError(line_number, "expected KEY=value");
    absl::string_view key = absl::StripTrailingAsciiWhitespace(line.substr(0, eq));
    if (!IsKey(key)) {
      return LineError(line_number, absl::StrCat("\"", key, "\" is not a variable name"));
    }
    absl::StatusOr<std::string> value = ParseValue(line.substr(eq + 1));
    if (!value.ok()) {
      return LineError(line_number, absl::StrCat(key, ": ", value.status().message()));
    }
    values[std::string(key)] = *std::move(value);
  }
  return values;
}

absl::StatusOr<double> ParseBuildTimestamp(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  const bool numeric = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  double seconds = 0;
  // SimpleAtod reads 400 digits as infinity, and ParseTime reads
  // "infinite-past" and "infinite-future": no build time either way.
  if (numeric && absl::SimpleAtod(text, &seconds) && std::isfinite(seconds)) return seconds;
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    seconds = absl::ToDoubleSeconds(time - absl::UnixEpoch());
    if (std::isfinite(seconds)) return seconds;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("BUILD_TIMESTAMP \"", text,
                   "\" is neither seconds since the epoch nor RFC 3339 (2024-05-01T12:00:00Z)"));
}

}  // namespace strata
