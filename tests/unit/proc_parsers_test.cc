#include "collectors/host/proc_parsers.h"

#include <string>

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
