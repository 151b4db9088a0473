#include "collectors/host/proc_parsers.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::PrintToString;

// A /proc/stat as a two-CPU kernel writes it: the aggregate "cpu" line (two
// spaces after the name), one line per CPU, then the counters.
constexpr char kProcStat[] =
    "cpu  10132153 290696 3084719 46828483 16683 0 25195 1234 0 0\n"
    "cpu0 5066076 145348 1542359 23414241 8341 0 12597 600 0 0\n"
    "cpu1 5066077 145348 1542360 23414242 8342 0 12598 634 0 0\n"
    "intr 114930548 113199788 3 0 5 263 0 4 0 0 0 0 0 0 0 0\n"
    "ctxt 1990473\n"
    "btime 1062191376\n"
    "processes 2915\n"
    "procs_running 1\n"
    "procs_blocked 0\n"
    "softirq 183433 0 21755 12 39 1137 231 21459 2263 0 96537\n";

// The first lines of an x86 /proc/cpuinfo, with `flags` as the flags line.
std::string Cpuinfo(const std::string& flags) {
  return "processor\t: 0\n"
         "vendor_id\t: GenuineIntel\n"
         "cpu family\t: 6\n"
         "model\t\t: 85\n"
         "model name\t: Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz\n"
         "fpu\t\t: yes\n"
         "fpu_exception\t: yes\n"
         "cpuid level\t: 13\n"
         "wp\t\t: yes\n"
         "flags\t\t: " +
         flags +
         "\n"
         "bugs\t\t: cpu_meltdown spectre_v1 spectre_v2\n"
         "bogomips\t: 4999.99\n"
         "\n";
}

TEST(ParseCpuListCount, CountsRangesAndSingles) {
  struct Case {
    const char* text;
    int want;
  };
  const Case cases[] = {
      {"0", 1},        {"7", 1},           {"0-0", 1},
      {"0-3", 4},      {"0-1,4,6-7\n", 5}, {"0-63,128-191\n", 128},
      {"  0-3 \n", 4}, {"\t2,4\n\n", 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<int> count = ParseCpuListCount(c.text);
    ASSERT_TRUE(count.ok()) << count.status();
    EXPECT_EQ(*count, c.want);
  }
}

TEST(ParseCpuListCount, RejectsMalformedListsAsInvalidArgument) {
  for (const char* text : {"", " \n", "a", "0-a", "3-1", "1-", "-1", "0,,1", "0-3,", ",0", "1-2-3",
                           "0;1", "0-4294967295", "0-2147483647", "0-1048575,0-1"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<int> count = ParseCpuListCount(text);
    EXPECT_TRUE(absl::IsInvalidArgument(count.status())) << count.status();
  }
}

TEST(ParseCpuListCount, ErrorNamesTheBadEntry) {
  EXPECT_THAT(ParseCpuListCount("0-1,3-1").status().message(), HasSubstr("\"3-1\""));
  EXPECT_THAT(ParseCpuListCount("0,x").status().message(), HasSubstr("\"x\""));
}

TEST(ParseMemTotalBytes, ConvertsKibibytesToBytes) {
  absl::StatusOr<double> bytes = ParseMemTotalBytes(
      "MemTotal:       16318412 kB\n"
      "MemFree:         1170288 kB\n"
      "MemAvailable:   11512944 kB\n"
      "Buffers:          508972 kB\n"
      "HugePages_Total:       0\n");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_DOUBLE_EQ(*bytes, 16318412.0 * 1024);
}

TEST(ParseMemTotalBytes, FindsTheLineAnywhere) {
  absl::StatusOr<double> bytes = ParseMemTotalBytes("MemFree: 1 kB\nMemTotal: 2 kB");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_DOUBLE_EQ(*bytes, 2048);
}

TEST(ParseMemTotalBytes, ValueWithoutUnitIsTakenAsBytes) {
  // The kernel always writes "kB"; a unitless value is used as it is, as
  // node_exporter does for unitless meminfo lines.
  absl::StatusOr<double> bytes = ParseMemTotalBytes("MemTotal:       4096\n");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_DOUBLE_EQ(*bytes, 4096);
}

TEST(ParseMemTotalBytes, MissingLineIsInvalidArgument) {
  for (const char* meminfo : {"", "MemFree:         1170288 kB\n", "memtotal: 1 kB\n"}) {
    SCOPED_TRACE(PrintToString(std::string(meminfo)));
    absl::StatusOr<double> bytes = ParseMemTotalBytes(meminfo);
    EXPECT_TRUE(absl::IsInvalidArgument(bytes.status())) << bytes.status();
    EXPECT_THAT(bytes.status().message(), HasSubstr("MemTotal"));
  }
}

TEST(ParseMemTotalBytes, NonNumericValueIsInvalidArgument) {
  for (const char* meminfo : {"MemTotal:       lots kB\n", "MemTotal:\n", "MemTotal: kB\n",
                              "MemTotal: -5 kB\n", "MemTotal: 12 34 kB\n", "MemTotal: 1.5 kB\n"}) {
    SCOPED_TRACE(PrintToString(std::string(meminfo)));
    absl::StatusOr<double> bytes = ParseMemTotalBytes(meminfo);
    EXPECT_TRUE(absl::IsInvalidArgument(bytes.status())) << bytes.status();
  }
}

TEST(ParseStealSeconds, ReadsTheAggregateLineInUserHz) {
  absl::StatusOr<double> steal = ParseStealSeconds(kProcStat);
  ASSERT_TRUE(steal.ok()) << steal.status();
  // 1234 ticks of the aggregate line, not a per-CPU line.
  EXPECT_DOUBLE_EQ(*steal, 12.34);
}

TEST(ParseStealSeconds, KernelsWithoutStealColumnReportZero) {
  // Four columns (2.4) and seven (2.6.0 to 2.6.10) predate steal.
  for (const char* stat : {"cpu  10 20 30 40\ncpu0 10 20 30 40\nbtime 1\n",
                           "cpu  10 20 30 40 50 60 70\ncpu0 10 20 30 40 50 60 70\n"}) {
    SCOPED_TRACE(stat);
    absl::StatusOr<double> steal = ParseStealSeconds(stat);
    ASSERT_TRUE(steal.ok()) << steal.status();
    EXPECT_EQ(*steal, 0);
  }
}

TEST(ParseStealSeconds, NonNumericStealIsInvalidArgument) {
  absl::StatusOr<double> steal = ParseStealSeconds("cpu  1 2 3 4 5 6 7 x 0 0\n");
  EXPECT_TRUE(absl::IsInvalidArgument(steal.status())) << steal.status();
  EXPECT_THAT(steal.status().message(), HasSubstr("\"x\""));
}

TEST(ParseStealSeconds, MissingAggregateLineIsInvalidArgument) {
  for (const char* stat : {"", "cpu0 1 2 3 4 5 6 7 8 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\nbtime 1\n",
                           "ctxt 1990473\nbtime 1062191376\n"}) {
    SCOPED_TRACE(PrintToString(std::string(stat)));
    absl::StatusOr<double> steal = ParseStealSeconds(stat);
    EXPECT_TRUE(absl::IsInvalidArgument(steal.status())) << steal.status();
  }
}

TEST(ParseStealSeconds, TruncatedAggregateLineIsInvalidArgument) {
  const std::string truncated = std::string(kProcStat).substr(0, 17);  // "cpu  10132153 290"
  ASSERT_EQ(truncated, "cpu  10132153 290");
  absl::StatusOr<double> steal = ParseStealSeconds(truncated);
  EXPECT_TRUE(absl::IsInvalidArgument(steal.status())) << steal.status();
  EXPECT_THAT(steal.status().message(), HasSubstr("2 fields"));

  steal = ParseStealSeconds("cpu \n");
  EXPECT_TRUE(absl::IsInvalidArgument(steal.status())) << steal.status();
}

TEST(ParseMemAvailableBytes, ConvertsKibibytesToBytes) {
  struct Case {
    const char* meminfo;
    double want;
  };
  const Case cases[] = {
      {"MemTotal:       16318412 kB\n"
       "MemFree:         1170288 kB\n"
       "MemAvailable:   11512944 kB\n"
       "Buffers:          508972 kB\n",
       11512944.0 * 1024},
      // The last line, without a newline; a unitless value is bytes.
      {"MemTotal: 2 kB\nMemAvailable: 1 kB", 1024},
      {"MemAvailable:       4096\n", 4096},
      {"MemAvailable:          0 kB\n", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.meminfo)));
    absl::StatusOr<std::optional<double>> bytes = ParseMemAvailableBytes(c.meminfo);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    ASSERT_TRUE(bytes->has_value());
    EXPECT_DOUBLE_EQ(**bytes, c.want);
  }
}

TEST(ParseMemAvailableBytes, KernelsWithoutTheLineHaveNoValue) {
  // Before 3.14, and lines that only look alike.
  for (const char* meminfo : {"", "MemTotal:       16318412 kB\nMemFree:         1170288 kB\n",
                              "memavailable: 1 kB\n", "MemAvailableX: 1 kB\n"}) {
    SCOPED_TRACE(PrintToString(std::string(meminfo)));
    absl::StatusOr<std::optional<double>> bytes = ParseMemAvailableBytes(meminfo);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_FALSE(bytes->has_value());
  }
}

TEST(ParseMemAvailableBytes, NonNumericValueIsInvalidArgument) {
  for (const char* meminfo :
       {"MemAvailable:       lots kB\n", "MemAvailable:\n", "MemAvailable: -5 kB\n",
        "MemAvailable: 1.5 kB\n", "MemAvailable: 99999999999999999999999 kB\n"}) {
    SCOPED_TRACE(PrintToString(std::string(meminfo)));
    absl::StatusOr<std::optional<double>> bytes = ParseMemAvailableBytes(meminfo);
    EXPECT_TRUE(absl::IsInvalidArgument(bytes.status())) << bytes.status();
    EXPECT_THAT(bytes.status().message(), HasSubstr("bad MemAvailable value"));
  }
}

TEST(ParseCpuModeSeconds, ReadsEveryModeOfTheAggregateLineInUserHz) {
  struct Case {
    const char* name;
    std::string stat;
    std::vector<std::pair<std::string, double>> want;
  };
  const std::vector<Case> cases = {
      {"ten columns (2.6.33 and later): guest and guest_nice are left out",
       kProcStat,
       {{"user", 101321.53},
        {"nice", 2906.96},
        {"system", 30847.19},
        {"idle", 468284.83},
        {"iowait", 166.83},
        {"irq", 0},
        {"softirq", 251.95},
        {"steal", 12.34}}},
      {"guest time is not added again: user stays what the kernel wrote",
       "cpu  500 0 100 1000 0 0 0 0 300 20\n",
       {{"user", 5},
        {"nice", 0},
        {"system", 1},
        {"idle", 10},
        {"iowait", 0},
        {"irq", 0},
        {"softirq", 0},
        {"steal", 0}}},
      {"eight columns (2.6.11 to 2.6.23)",
       "cpu  1 2 3 4 5 6 7 8\n",
       {{"user", 0.01},
        {"nice", 0.02},
        {"system", 0.03},
        {"idle", 0.04},
        {"iowait", 0.05},
        {"irq", 0.06},
        {"softirq", 0.07},
        {"steal", 0.08}}},
      {"seven columns (2.6.0 to 2.6.10): no steal",
       "cpu  10 20 30 40 50 60 70\ncpu0 10 20 30 40 50 60 70\n",
       {{"user", 0.1},
        {"nice", 0.2},
        {"system", 0.3},
        {"idle", 0.4},
        {"iowait", 0.5},
        {"irq", 0.6},
        {"softirq", 0.7}}},
      {"four columns (2.4)",
       "cpu  100 200 300 400\n",
       {{"user", 1}, {"nice", 2}, {"system", 3}, {"idle", 4}}},
      {"the aggregate line, not the first per-CPU one, wherever it is",
       "cpu0 9 9 9 9 9 9 9 9 0 0\ncpu  1 0 0 0 0 0 0 0 0 0\n",
       {{"user", 0.01},
        {"nice", 0},
        {"system", 0},
        {"idle", 0},
        {"iowait", 0},
        {"irq", 0},
        {"softirq", 0},
        {"steal", 0}}},
      {"counters past 2^32 ticks",
       "cpu  18446744073709551615 0 0 4294967296 0 0 0 0 0 0\n",
       {{"user", 18446744073709551615.0 / 100},
        {"nice", 0},
        {"system", 0},
        {"idle", 42949672.96},
        {"iowait", 0},
        {"irq", 0},
        {"softirq", 0},
        {"steal", 0}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::vector<CpuModeSeconds>> modes = ParseCpuModeSeconds(c.stat);
    ASSERT_TRUE(modes.ok()) << modes.status();
    ASSERT_EQ(modes->size(), c.want.size());
    for (size_t i = 0; i < c.want.size(); ++i) {
      EXPECT_EQ((*modes)[i].mode, c.want[i].first);
      EXPECT_DOUBLE_EQ((*modes)[i].seconds, c.want[i].second) << c.want[i].first;
    }
  }
}

TEST(ParseCpuModeSeconds, ModesAreTheKernelsColumnOrder) {
  absl::StatusOr<std::vector<CpuModeSeconds>> modes = ParseCpuModeSeconds(kProcStat);
  ASSERT_TRUE(modes.ok()) << modes.status();
  ASSERT_EQ(modes->size(), kCpuModes.size());
  for (size_t i = 0; i < kCpuModes.size(); ++i) EXPECT_STREQ((*modes)[i].mode, kCpuModes[i]);
  // Steal agrees with the steal parser on the same text.
  EXPECT_DOUBLE_EQ((*modes)[7].seconds, *ParseStealSeconds(kProcStat));
}

TEST(ParseCpuModeSeconds, MalformedInputIsInvalidArgumentNamingTheProblem) {
  struct Case {
    std::string stat;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"", "no aggregate \"cpu \" line"},
      {"cpu0 1 2 3 4 5 6 7 8 0 0\nbtime 1\n", "no aggregate \"cpu \" line"},
      {"cpu \n", "0 fields"},
      {"cpu  1 2 3\n", "3 fields"},
      {std::string(kProcStat).substr(0, 17), "2 fields"},
      {"cpu  1 2 x 4 5 6 7 8 0 0\n", "bad system value \"x\""},
      {"cpu  1 2 3 4 5 6 7 -8 0 0\n", "bad steal value \"-8\""},
      {"cpu  1 2 3 4 5 6 7 8.5 0 0\n", "bad steal value \"8.5\""},
      {"cpu  1 2 3 4 5 6 7 99999999999999999999999 0 0\n", "bad steal value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.stat));
    absl::StatusOr<std::vector<CpuModeSeconds>> modes = ParseCpuModeSeconds(c.stat);
    EXPECT_TRUE(absl::IsInvalidArgument(modes.status())) << modes.status();
    EXPECT_THAT(modes.status().message(), HasSubstr(c.message));
  }
}

TEST(ParseCpuModeSeconds, ColumnsPastStealAreNotChecked) {
  // guest and guest_nice are not exported, so they cannot fail the parse.
  absl::StatusOr<std::vector<CpuModeSeconds>> modes =
      ParseCpuModeSeconds("cpu  1 2 3 4 5 6 7 8 x y\n");
  ASSERT_TRUE(modes.ok()) << modes.status();
  EXPECT_EQ(modes->size(), 8u);
}

TEST(CpuinfoHasHypervisorFlag, FindsTheFlag) {
  EXPECT_TRUE(CpuinfoHasHypervisorFlag(
      Cpuinfo("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
              "mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl "
              "xtopology nonstop_tsc cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid "
              "sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand "
              "hypervisor lahf_lm abm 3dnowprefetch invpcid_single pti fsgsbase")));
  // As the last flag of the line, and of the file.
  EXPECT_TRUE(CpuinfoHasHypervisorFlag("flags\t\t: fpu vme hypervisor\n"));
  EXPECT_TRUE(CpuinfoHasHypervisorFlag("flags\t\t: fpu vme hypervisor"));
}

TEST(CpuinfoHasHypervisorFlag, AbsentFlagIsFalse) {
  EXPECT_FALSE(CpuinfoHasHypervisorFlag(
      Cpuinfo("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr vmx smx est tm2 ssse3 "
              "sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt")));
  // Only whole flags count.
  EXPECT_FALSE(CpuinfoHasHypervisorFlag("flags\t\t: fpu not_hypervisor hypervisors\n"));
}

TEST(CpuinfoHasHypervisorFlag, NoFlagsLineIsFalse) {
  // arm64 names its line "Features" and has no hypervisor flag.
  EXPECT_FALSE(CpuinfoHasHypervisorFlag(
      "processor\t: 0\n"
      "BogoMIPS\t: 50.00\n"
      "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid\n"
      "CPU implementer\t: 0x41\n"));
  EXPECT_FALSE(CpuinfoHasHypervisorFlag(""));
}

}  // namespace
}  // namespace strata
