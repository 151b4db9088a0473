// Structured logging to a stream (stderr in the binary), one line per
// message in logfmt or JSON (--log.format, as node_exporter spells it).
//
// A Logger is created once at start-up and passed by reference to whatever
// logs; its level and format are fixed at construction. Thread-safe: lines
// written from concurrent scrapes never interleave.
#pragma once

#include <initializer_list>
#include <iosfwd>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace strata {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" or "error"; InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);

// logfmt: ts=... level=info msg="..." key=value; JSON: one object per line
// with the same keys, in the same order.
enum class LogFormat { kLogfmt, kJson };

// Parses "logfmt" or "json"; InvalidArgument otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);

// One key=value pair of a log line; values are quoted when they need it.
using LogField = std::pair<absl::string_view, std::string>;

class Logger {
 public:
  Logger(LogLevel min_level, std::ostream& out, LogFormat format = LogFormat::kLogfmt);

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  void Log(LogLevel level, absl::string_view msg,
           std::initializer_list<LogField> fields = {}) const;
  void Log(LogLevel level, absl::string_view msg, absl::Span<const LogField> fields) const;

  void Debug(absl::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(absl::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(absl::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(absl::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kError, msg, fields);
  }

 private:
  const LogLevel min_level_;
  const LogFormat format_;
  mutable absl::Mutex mu_;
  std::ostream& out_ ABSL_GUARDED_BY(mu_);
};

// Formats one logfmt value: bare when safe, otherwise quoted with escapes.
std::string LogfmtValue(absl::string_view value);

// Formats one JSON string, quoted, with invalid UTF-8 replaced by U+FFFD.
std::string JsonString(absl::string_view value);

}  // namespace strata
