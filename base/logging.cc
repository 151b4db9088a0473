#include "base/logging.h"

#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/utf8.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace strata {
namespace {

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(level)) return level;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", text, "\" (want debug, info, warn or error)"));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  if (text == "logfmt") return LogFormat::kLogfmt;
  if (text == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format \"", text, "\" (want logfmt or json)"));
}

std::string JsonString(absl::string_view value) {
  std::string valid(value);
  MakeValidUtf8(valid);  // a JSON reader would refuse the line otherwise
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string LogfmtValue(absl::string_view value) {
  bool needs_quotes = value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < ' ' || c == 0x7f) {
          absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

Logger::Logger(LogLevel min_level, std::ostream& out, LogFormat format)
    : min_level_(min_level), format_(format), out_(out) {}

void Logger::Log(LogLevel level, absl::string_view msg,
                 std::initializer_list<LogField> fields) const {
  Log(level, msg, absl::MakeConstSpan(fields.begin(), fields.size()));
}

void Logger::Log(LogLevel level, absl::string_view msg, absl::Span<const LogField> fields) const {
  if (!Enabled(level)) return;
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (format_ == LogFormat::kJson) {
    line = absl::StrCat("{\"ts\":\"", ts, "\",\"level\":\"", LevelName(level),
                        "\",\"msg\":", JsonString(msg));
    for (const LogField& field : fields) {
      absl::StrAppend(&line, ",", JsonString(field.first), ":", JsonString(field.second));
    }
    line += "}\n";
  } else {
    line = absl::StrCat("ts=", ts, " level=", LevelName(level), " msg=", LogfmtValue(msg));
    for (const LogField& field : fields) {
      absl::StrAppend(&line, " ", field.first, "=", LogfmtValue(field.second));
    }
    line += '\n';
  }
  absl::MutexLock lock(&mu_);
  out_ << line << std::flush;
}

}  // namespace strata
