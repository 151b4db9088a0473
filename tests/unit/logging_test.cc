#include "base/logging.h"

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::PrintToString;

constexpr char kTimestamp[] = R"(ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

TEST(LogfmtValue, QuotesAndEscapesOnlyWhenNeeded) {
  struct Case {
    std::string value;
    std::string want;
  };
  const Case cases[] = {
      {"word", "word"},
      {"/x", "/x"},
      {"127.0.0.1:10299", "127.0.0.1:10299"},
      {"", R"("")"},
      {"disk full", R"("disk full")"},
      {R"(say "hi")", R"("say \"hi\"")"},
      {R"(C:\dir)", R"("C:\\dir")"},
      {"a\nb", R"("a\nb")"},
      {"a\tb", R"("a\tb")"},
      {"a=b", R"("a=b")"},
      {std::string("\x01", 1), R"("\x01")"},
      {"\r", R"("\x0d")"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},  // UTF-8 stays bare on every architecture
      {"a\x7f", R"("a\x7f")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.value));
    EXPECT_EQ(LogfmtValue(c.value), c.want);
  }
}

TEST(Logger, WritesOneLogfmtLine) {
  std::ostringstream out;
  Logger logger(LogLevel::kInfo, out);
  logger.Warn("disk full", {{"path", "/x"}, {"err", "a b"}});
  EXPECT_TRUE(std::regex_match(out.str(),
                               std::regex(std::string("^") + kTimestamp +
                                          R"( level=warn msg="disk full" path=/x err="a b"\n$)")))
      << out.str();
}

TEST(Logger, NamesEveryLevel) {
  std::ostringstream out;
  Logger logger(LogLevel::kDebug, out);
  logger.Debug("d");
  logger.Info("i");
  logger.Warn("w");
  logger.Error("e");
  logger.Log(LogLevel::kError, "l", {{"k", "v"}});
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << out.str();
  const char* const want[] = {" level=debug msg=d$", " level=info msg=i$", " level=warn msg=w$",
                              " level=error msg=e$", " level=error msg=l k=v$"};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], std::regex(std::string("^") + kTimestamp + want[i])))
        << lines[i];
  }
}

TEST(Logger, DropsLinesBelowItsLevel) {
  struct Case {
    LogLevel min_level;
    std::string want;  // the levels, in order, of the lines that get through
  };
  const Case cases[] = {
      {LogLevel::kDebug, "debug info warn error "},
      {LogLevel::kInfo, "info warn error "},
      {LogLevel::kWarn, "warn error "},
      {LogLevel::kError, "error "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.min_level));
    std::ostringstream out;
    Logger logger(c.min_level, out);
    logger.Debug("m");
    logger.Info("m");
    logger.Warn("m");
    logger.Error("m");
    std::string levels;
    std::string text = out.str();
    std::regex level_re(" level=(\\w+) ");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), level_re);
         it != std::sregex_iterator(); ++it) {
      levels += (*it)[1].str() + " ";
    }
    EXPECT_EQ(levels, c.want) << text;
    EXPECT_EQ(logger.Enabled(LogLevel::kDebug), c.min_level == LogLevel::kDebug);
    EXPECT_TRUE(logger.Enabled(LogLevel::kError));
  }
}

TEST(Logger, DebugIsDroppedAtInfo) {
  std::ostringstream out;
  Logger logger(LogLevel::kInfo, out);
  logger.Debug("hidden", {{"k", "v"}});
  EXPECT_EQ(out.str(), "");
}

TEST(Logger, ConcurrentLinesDoNotInterleave) {
  std::ostringstream out;
  Logger logger(LogLevel::kInfo, out);
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < kLinesPerThread; ++i) {
        logger.Info("scrape done", {{"thread", std::to_string(t)}, {"n", std::to_string(i)}});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLinesPerThread));
  const std::regex line_re(std::string("^") + kTimestamp +
                           R"( level=info msg="scrape done" thread=\d n=\d+$)");
  for (const std::string& line : lines) {
    ASSERT_TRUE(std::regex_match(line, line_re)) << line;
  }
}

TEST(ParseLogLevel, AcceptsTheFourLevelNames) {
  const std::pair<const char*, LogLevel> cases[] = {
      {"debug", LogLevel::kDebug},
      {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},
      {"error", LogLevel::kError},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text);
    absl::StatusOr<LogLevel> level = ParseLogLevel(text);
    ASSERT_TRUE(level.ok()) << level.status();
    EXPECT_EQ(*level, want);
  }
}

TEST(ParseLogLevel, RejectsOtherValues) {
  for (const char* text : {"", "loud", "warning", "trace", "fatal", "INFO", " info", "info "}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<LogLevel> level = ParseLogLevel(text);
    EXPECT_TRUE(absl::IsInvalidArgument(level.status())) << level.status();
    EXPECT_THAT(level.status().message(), HasSubstr("\"" + std::string(text) + "\""));
  }
}

TEST(Logger, WritesOneJsonObjectPerLine) {
  std::ostringstream out;
  Logger logger(LogLevel::kInfo, out, LogFormat::kJson);
  logger.Warn("disk \"full\"", {{"path", "/srv/caf\xe9"}, {"err", "a\nb\x01"}});
  const std::string line = out.str();
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_TRUE(std::regex_match(
      line, std::regex(R"(^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"warn",)"
                       R"("msg":"disk \\"full\\"","path":"/srv/caf[^"]+",)"
                       R"("err":"a\\nb\\u0001"\}\n$)")))
      << line;
  rapidjson::Document document;
  document.Parse(line.data(), line.size() - 1);
  ASSERT_FALSE(document.HasParseError()) << line;
  EXPECT_STREQ(document["msg"].GetString(), "disk \"full\"");
  EXPECT_STREQ(document["err"].GetString(), "a\nb\x01");
  // Latin-1 from the host becomes U+FFFD: a JSON reader refuses invalid UTF-8.
  EXPECT_STREQ(document["path"].GetString(), "/srv/caf\xef\xbf\xbd");
}

TEST(ParseLogFormat, AcceptsLogfmtAndJson) {
  EXPECT_EQ(*ParseLogFormat("logfmt"), LogFormat::kLogfmt);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  for (const char* text : {"", "JSON", "text", "logfmt "}) {
    absl::StatusOr<LogFormat> format = ParseLogFormat(text);
    EXPECT_TRUE(absl::IsInvalidArgument(format.status())) << text;
  }
}

}  // namespace
}  // namespace strata
