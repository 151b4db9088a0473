#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "exporter/process_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

// Fields 3 to 52 of a real /proc/<pid>/stat line (proc(5) numbering), with
// utime (14) 1500, stime (15) 250, starttime (22) 987654, vsize (23)
// 123456789 and rss (24) 4321.
constexpr char kFieldsAfterComm[] =
    "S 1 1234 1234 0 -1 4194560 2153 0 0 0 "  // 3 state .. 13 cmajflt
    "1500 250 0 0 20 0 4 0 "                  // 14 utime .. 21 itrealvalue
    "987654 123456789 4321 "                  // 22 starttime, 23 vsize, 24 rss
    "18446744073709551615 94371534319616 94371536110693 140727702036912 0 0 0 0 0 0 0 0 0 17 3 "
    "0 0 0 0 0 94371536478000 94371536599032 94371561766912 140727702042573 140727702042605 "
    "140727702042605 140727702044649 0";  // 25 rsslim .. 52 exit_code

// A stat line of fields 1 to `last_field` for a process named `comm`, with
// the fields in `overrides` (by number) replaced.
std::string StatLine(const std::string& comm, size_t last_field = 52,
                     const std::map<size_t, std::string>& overrides = {}) {
  std::vector<std::string> fields = absl::StrSplit(kFieldsAfterComm, ' ');
  fields.resize(last_field - 2);
  for (const auto& [number, value] : overrides) fields[number - 3] = value;
  return "1234 (" + comm + ") " + absl::StrJoin(fields, " ") + "\n";
}

TEST(ParseProcStat, ReadsFieldsAfterACommWithSpacesAndParens) {
  ASSERT_EQ(std::vector<std::string>(absl::StrSplit(kFieldsAfterComm, ' ')).size(), 50u);
  for (const char* comm :
       {"strata_exporter", "a b) c", ")", "(", "x) S 1 2 3 4 5 6 7 8 9 10 11", ""}) {
    SCOPED_TRACE(comm);
    absl::StatusOr<ProcStat> stat = ParseProcStat(StatLine(comm));
    ASSERT_TRUE(stat.ok()) << stat.status();
    EXPECT_EQ(stat->utime_ticks, 1500u);
    EXPECT_EQ(stat->stime_ticks, 250u);
    EXPECT_EQ(stat->starttime_ticks, 987654u);
    EXPECT_EQ(stat->vsize_bytes, 123456789u);
    EXPECT_EQ(stat->rss_pages, 4321);
  }
}

TEST(ParseProcStat, RssIsTheLastFieldItNeeds) {
  // Old kernels end the line much earlier than field 52; rss (24) suffices.
  absl::StatusOr<ProcStat> stat = ParseProcStat(StatLine("a b) c", 24));
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->rss_pages, 4321);
}

TEST(ParseProcStat, LargeValuesKeepFullPrecision) {
  absl::StatusOr<ProcStat> stat =
      ParseProcStat(StatLine("big", 52, {{23, "140737488355328"}, {14, "18446744073709551615"}}));
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->vsize_bytes, 140737488355328u);
  EXPECT_EQ(stat->utime_ticks, 18446744073709551615u);
}

TEST(ParseProcStat, TruncatedLineIsInvalidArgument) {
  for (size_t last_field : {23, 14, 3}) {
    SCOPED_TRACE(last_field);
    absl::StatusOr<ProcStat> stat = ParseProcStat(StatLine("a b) c", last_field));
    EXPECT_TRUE(absl::IsInvalidArgument(stat.status())) << stat.status();
    EXPECT_THAT(stat.status().message(), HasSubstr(std::to_string(last_field) + " fields"));
  }
  for (const char* text : {"", "1234 (strata", "1234 (a b) c)", "1234 (a b) c) S 1 2 3\n"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(absl::IsInvalidArgument(ParseProcStat(text).status()));
  }
}

TEST(ParseProcStat, NonNumericFieldIsInvalidArgument) {
  for (size_t field : {14, 15, 22, 23, 24}) {
    SCOPED_TRACE(field);
    absl::StatusOr<ProcStat> stat = ParseProcStat(StatLine("a b) c", 52, {{field, "12x"}}));
    EXPECT_TRUE(absl::IsInvalidArgument(stat.status())) << stat.status();
  }
  // utime cannot be negative.
  EXPECT_TRUE(absl::IsInvalidArgument(ParseProcStat(StatLine("p", 52, {{14, "-1"}})).status()));
}

// /proc/self/limits as Linux writes it.
std::string Limits(const std::string& max_open_files_soft) {
  return "Limit                     Soft Limit           Hard Limit           Units     \n"
         "Max cpu time              unlimited            unlimited            seconds   \n"
         "Max file size             unlimited            unlimited            bytes     \n"
         "Max data size             unlimited            unlimited            bytes     \n"
         "Max stack size            8388608              unlimited            bytes     \n"
         "Max core file size        0                    unlimited            bytes     \n"
         "Max resident set          unlimited            unlimited            bytes     \n"
         "Max processes             63429                63429                processes \n"
         "Max open files            " +
         max_open_files_soft +
         "                 1048576              files     \n"
         "Max locked memory         8388608              8388608              bytes     \n"
         "Max address space         unlimited            unlimited            bytes     \n"
         "Max file locks            unlimited            unlimited            locks     \n"
         "Max pending signals       63429                63429                signals   \n"
         "Max msgqueue size         819200               819200               bytes     \n"
         "Max nice priority         0                    0                    \n"
         "Max realtime priority     0                    0                    \n"
         "Max realtime timeout      unlimited            unlimited            us        \n";
}

TEST(ParseMaxOpenFiles, ReadsTheSoftLimit) {
  absl::StatusOr<double> max_fds = ParseMaxOpenFiles(Limits("1024"));
  ASSERT_TRUE(max_fds.ok()) << max_fds.status();
  EXPECT_EQ(*max_fds, 1024);
}

TEST(ParseMaxOpenFiles, UnlimitedIsPositiveInfinity) {
  absl::StatusOr<double> max_fds = ParseMaxOpenFiles(Limits("unlimited"));
  ASSERT_TRUE(max_fds.ok()) << max_fds.status();
  EXPECT_TRUE(std::isinf(*max_fds));
  EXPECT_GT(*max_fds, 0);
}

TEST(ParseMaxOpenFiles, MissingOrBadLineIsInvalidArgument) {
  for (const std::string& limits :
       {std::string(""), std::string("Max processes             63429   63429   processes\n"),
        Limits("lots"), std::string("Max open files\n")}) {
    SCOPED_TRACE(limits);
    absl::StatusOr<double> max_fds = ParseMaxOpenFiles(limits);
    EXPECT_TRUE(absl::IsInvalidArgument(max_fds.status())) << max_fds.status();
  }
}

TEST(ParseBootTime, ReadsBtime) {
  absl::StatusOr<double> btime = ParseBootTime(
      "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"
      "cpu0 10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"
      "intr 114930548 113199788 3 0 5 263 0 4\n"
      "ctxt 1990473\n"
      "btime 1062191376\n"
      "processes 2915\n");
  ASSERT_TRUE(btime.ok()) << btime.status();
  EXPECT_EQ(*btime, 1062191376);
}

TEST(ParseBootTime, MissingOrBadBtimeIsInvalidArgument) {
  for (const char* stat : {"", "cpu  1 2 3 4\nctxt 1\n", "btime\n", "btime soon\n"}) {
    SCOPED_TRACE(stat);
    absl::StatusOr<double> btime = ParseBootTime(stat);
    EXPECT_TRUE(absl::IsInvalidArgument(btime.status())) << btime.status();
  }
}

std::string ReadWholeFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ProcessParsersLive, ParseOwnProcStat) {
  std::string text = ReadWholeFile("/proc/self/stat");
  ASSERT_FALSE(text.empty());
  absl::StatusOr<ProcStat> stat = ParseProcStat(text);
  ASSERT_TRUE(stat.ok()) << stat.status() << "\n" << text;
  EXPECT_GT(stat->vsize_bytes, 0u);
  EXPECT_GT(stat->rss_pages, 0);
}

TEST(ProcessParsersLive, ParseOwnLimitsAndBootTime) {
  absl::StatusOr<double> max_fds = ParseMaxOpenFiles(ReadWholeFile("/proc/self/limits"));
  ASSERT_TRUE(max_fds.ok()) << max_fds.status();
  EXPECT_GT(*max_fds, 0);
  absl::StatusOr<double> btime = ParseBootTime(ReadWholeFile("/proc/stat"));
  ASSERT_TRUE(btime.ok()) << btime.status();
  EXPECT_GT(*btime, 0);
}

}  // namespace
}  // namespace strata
