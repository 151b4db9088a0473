#include "collectors/cgroup/cgroup_parsers.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::PrintToString;

// One device's counters as text, so that a mismatch shows every field.
std::string Describe(const DeviceIo& io) {
  return absl::StrCat(io.major, ":", io.minor, " rbytes=", io.read_bytes,
                      " wbytes=", io.write_bytes, " rios=", io.read_ios, " wios=", io.write_ios);
}

std::vector<std::string> Describe(const std::vector<DeviceIo>& devices) {
  std::vector<std::string> out;
  for (const DeviceIo& io : devices) out.push_back(Describe(io));
  return out;
}

// memory.stat of a cgroup v2 leaf as a 6.x kernel writes it (mm/memcontrol.c
// memory_stat_format): sizes in bytes first, then event counters.
constexpr char kV2MemoryStat[] =
    "anon 6340608\n"
    "file 9236480\n"
    "kernel 1482752\n"
    "kernel_stack 98304\n"
    "pagetables 212992\n"
    "sec_pagetables 0\n"
    "percpu 7200\n"
    "sock 0\n"
    "vmalloc 8192\n"
    "shmem 9068544\n"
    "zswap 0\n"
    "zswapped 0\n"
    "file_mapped 7450624\n"
    "file_dirty 24576\n"
    "file_writeback 0\n"
    "swapcached 0\n"
    "anon_thp 0\n"
    "file_thp 0\n"
    "shmem_thp 0\n"
    "inactive_anon 4812800\n"
    "active_anon 1531904\n"
    "inactive_file 12288\n"
    "active_file 155648\n"
    "unevictable 13877248\n"
    "slab_reclaimable 843776\n"
    "slab_unreclaimable 311296\n"
    "slab 1155072\n"
    "workingset_refault_anon 0\n"
    "workingset_refault_file 2459\n"
    "workingset_activate_anon 0\n"
    "workingset_activate_file 131\n"
    "workingset_restore_anon 0\n"
    "workingset_restore_file 0\n"
    "workingset_nodereclaim 0\n"
    "pswpin 0\n"
    "pswpout 0\n"
    "pgscan 0\n"
    "pgsteal 0\n"
    "pgscan_kswapd 0\n"
    "pgscan_direct 0\n"
    "pgscan_khugepaged 0\n"
    "pgsteal_kswapd 0\n"
    "pgsteal_direct 0\n"
    "pgsteal_khugepaged 0\n"
    "pgfault 52047\n"
    "pgmajfault 0\n"
    "pgrefill 0\n"
    "pgactivate 37\n"
    "pgdeactivate 0\n"
    "pglazyfree 0\n"
    "pglazyfreed 0\n"
    "zswpin 0\n"
    "zswpout 0\n"
    "zswpwb 0\n"
    "thp_fault_alloc 0\n"
    "thp_collapse_alloc 0\n"
    "thp_swpout 0\n"
    "thp_swpout_fallback 0\n";

// memory.stat of a cgroup v1 memory hierarchy (this machine's root), with
// the hierarchical total_* copies and the "unlimited" limit.
constexpr char kV1MemoryStat[] =
    "cache 9236480\n"
    "rss 6340608\n"
    "rss_huge 0\n"
    "shmem 9068544\n"
    "mapped_file 7450624\n"
    "dirty 24576\n"
    "writeback 0\n"
    "workingset_refault_anon 0\n"
    "workingset_refault_file 2459\n"
    "swap 0\n"
    "swapcached 0\n"
    "pgpgin 41805\n"
    "pgpgout 38002\n"
    "pgfault 52047\n"
    "pgmajfault 0\n"
    "inactive_anon 0\n"
    "active_anon 1531904\n"
    "inactive_file 12288\n"
    "active_file 155648\n"
    "unevictable 13877248\n"
    "hierarchical_memory_limit 9223372036854771712\n"
    "hierarchical_memsw_limit 9223372036854771712\n"
    "total_cache 196730880\n"
    "total_rss 84783104\n"
    "total_rss_huge 0\n"
    "total_shmem 9154560\n"
    "total_mapped_file 16683008\n"
    "total_dirty 7897088\n"
    "total_writeback 0\n"
    "total_workingset_refault_anon 0\n"
    "total_workingset_refault_file 632805\n"
    "total_swap 0\n"
    "total_swapcached 0\n"
    "total_pgpgin 23695453\n"
    "total_pgpgout 23636247\n"
    "total_pgfault 25447758\n"
    "total_pgmajfault 5012\n"
    "total_inactive_anon 78307328\n"
    "total_active_anon 1691648\n"
    "total_inactive_file 112734208\n"
    "total_active_file 74842112\n"
    "total_unevictable 13877248\n";

// --- ParseFlatKeyed -------------------------------------------------------

TEST(ParseFlatKeyed, ReadsEveryKeyOfAV2MemoryStat) {
  absl::StatusOr<std::map<std::string, uint64_t>> stat = ParseFlatKeyed(kV2MemoryStat);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->size(), 58u);
  EXPECT_EQ(stat->at("anon"), 6340608u);
  EXPECT_EQ(stat->at("file"), 9236480u);
  EXPECT_EQ(stat->at("kernel"), 1482752u);
  EXPECT_EQ(stat->at("sec_pagetables"), 0u);
  EXPECT_EQ(stat->at("shmem"), 9068544u);
  EXPECT_EQ(stat->at("slab"), 1155072u);
  EXPECT_EQ(stat->at("workingset_refault_file"), 2459u);
  EXPECT_EQ(stat->at("pgfault"), 52047u);
  EXPECT_EQ(stat->at("thp_swpout_fallback"), 0u);
}

TEST(ParseFlatKeyed, ReadsAV1MemoryStatWithItsTotalKeys) {
  absl::StatusOr<std::map<std::string, uint64_t>> stat = ParseFlatKeyed(kV1MemoryStat);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->size(), 42u);
  EXPECT_EQ(stat->at("cache"), 9236480u);
  EXPECT_EQ(stat->at("rss"), 6340608u);
  EXPECT_EQ(stat->at("total_cache"), 196730880u);
  EXPECT_EQ(stat->at("total_rss"), 84783104u);
  EXPECT_EQ(stat->at("total_pgmajfault"), 5012u);
  // PAGE_COUNTER_MAX rounded down to a page: larger than int64 minus a page,
  // still a uint64.
  EXPECT_EQ(stat->at("hierarchical_memory_limit"), 9223372036854771712u);
}

TEST(ParseFlatKeyed, ReadsMemoryOomControl) {
  absl::StatusOr<std::map<std::string, uint64_t>> oom =
      ParseFlatKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  ASSERT_TRUE(oom.ok()) << oom.status();
  EXPECT_EQ(*oom, (std::map<std::string, uint64_t>{
                      {"oom_kill_disable", 0}, {"under_oom", 0}, {"oom_kill", 3}}));
}

TEST(ParseFlatKeyed, AcceptsAFileWithoutTheFinalNewline) {
  absl::StatusOr<std::map<std::string, uint64_t>> stat =
      ParseFlatKeyed("usage_usec 982147167\nuser_usec 837967628\nsystem_usec 144179538");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(*stat,
            (std::map<std::string, uint64_t>{
                {"usage_usec", 982147167}, {"user_usec", 837967628}, {"system_usec", 144179538}}));
}

TEST(ParseFlatKeyed, EmptyFileIsInvalidArgument) {
  for (const char* text : {"", "\n", " \n\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<std::map<std::string, uint64_t>> stat = ParseFlatKeyed(text);
    EXPECT_TRUE(absl::IsInvalidArgument(stat.status())) << stat.status();
  }
}

TEST(ParseFlatKeyed, MalformedLineIsInvalidArgumentNamingTheLine) {
  struct Case {
    const char* text;
    const char* bad_line;
  };
  const Case cases[] = {
      // A read cut short: the last line has its key only.
      {"anon 6340608\nfile 9236480\nanon", "anon"},
      {"anon", "anon"},
      {"anon 12k\n", "anon 12k"},
      {"anon twelve\n", "anon twelve"},
      // "max" belongs to single-value files (memory.max), never to a keyed one.
      {"oom_kill_disable 0\nlimit max\n", "limit max"},
      {"anon -1\n", "anon -1"},
      {"anon 1.5\n", "anon 1.5"},
      {"anon 1 2\n", "anon 1 2"},
      {"some avg10=0.00 total=0\n", "some avg10=0.00 total=0"},
      {"anon 18446744073709551616\n", "anon 18446744073709551616"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<std::map<std::string, uint64_t>> stat = ParseFlatKeyed(c.text);
    EXPECT_TRUE(absl::IsInvalidArgument(stat.status())) << stat.status();
    EXPECT_THAT(stat.status().message(), HasSubstr(absl::StrCat("\"", c.bad_line, "\"")));
  }
}

// --- ParseSingleValue, ParseMaxOrValue, ParseSignedValue -------------------

TEST(ParseSingleValue, ReadsOneUnsignedInteger) {
  struct Case {
    const char* text;
    uint64_t want;
  };
  const Case cases[] = {
      {"4096\n", 4096},
      {"4096", 4096},
      {"0\n", 0},
      {"  12 \n", 12},
      {"9223372036854771712\n", 9223372036854771712u},
      {"18446744073709551615\n", UINT64_MAX},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<uint64_t> value = ParseSingleValue(c.text);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, c.want);
  }
}

TEST(ParseSingleValue, RejectsAnythingButOneUnsignedInteger) {
  for (const char* text : {"", "\n", "max\n", "max", "-1\n", "1.5\n", "12 34\n", "0x10\n", "12k\n",
                           "18446744073709551616\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<uint64_t> value = ParseSingleValue(text);
    EXPECT_TRUE(absl::IsInvalidArgument(value.status())) << value.status();
  }
}

TEST(ParseMaxOrValue, MaxMeansUnlimited) {
  for (const char* text : {"max\n", "max", " max \n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<std::optional<uint64_t>> value = ParseMaxOrValue(text);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_FALSE(value->has_value()) << **value;
  }
}

// What "no limit" looks like when it is a number: 2^64-1, v1's
// PAGE_COUNTER_MAX in bytes (4 KiB pages), and anything from 2^62 up.
TEST(ParseMaxOrValue, NumbersThatMeanNoLimitAreUnlimited) {
  for (const char* text : {"18446744073709551615\n", "9223372036854771712\n",
                           "9223372036854775807\n", "4611686018427387904\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<std::optional<uint64_t>> value = ParseMaxOrValue(text);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_FALSE(value->has_value()) << **value;
  }
  absl::StatusOr<std::optional<uint64_t>> value = ParseMaxOrValue("4611686018427387903\n");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::optional<uint64_t>(4611686018427387903u));
  absl::StatusOr<CpuMax> cpu = ParseCpuMax("18446744073709551615 100000\n");
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_FALSE(cpu->quota_us.has_value());
}

TEST(ParseMaxOrValue, ReadsALimit) {
  absl::StatusOr<std::optional<uint64_t>> value = ParseMaxOrValue("536870912\n");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::optional<uint64_t>(536870912));

  value = ParseMaxOrValue("0\n");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::optional<uint64_t>(0));
}

TEST(ParseMaxOrValue, RejectsOtherWords) {
  for (const char* text : {"", "\n", "Max\n", "maximum\n", "max 100000\n", "-1\n", "unlimited\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<std::optional<uint64_t>> value = ParseMaxOrValue(text);
    EXPECT_TRUE(absl::IsInvalidArgument(value.status())) << value.status();
  }
}

TEST(ParseSignedValue, ReadsCfsQuotaIncludingMinusOne) {
  struct Case {
    const char* text;
    int64_t want;
  };
  const Case cases[] = {{"-1\n", -1}, {"50000\n", 50000}, {"0\n", 0}, {"100000", 100000}};
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<int64_t> value = ParseSignedValue(c.text);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, c.want);
  }
}

TEST(ParseSignedValue, RejectsNonIntegers) {
  for (const char* text : {"", "\n", "max\n", "1.5\n", "-\n", "1 2\n", "9223372036854775808\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<int64_t> value = ParseSignedValue(text);
    EXPECT_TRUE(absl::IsInvalidArgument(value.status())) << value.status();
  }
}

// --- ParseCpuMax ----------------------------------------------------------

TEST(ParseCpuMax, ReadsQuotaAndPeriod) {
  struct Case {
    const char* text;
    std::optional<uint64_t> quota_us;
    uint64_t period_us;
  };
  const Case cases[] = {
      {"max 100000\n", std::nullopt, 100000},
      {"20000 100000\n", 20000, 100000},
      // More than one CPU's worth: 3 CPUs.
      {"150000 50000\n", 150000, 50000},
      // "max" alone is what one writes; the period keeps its default.
      {"max\n", std::nullopt, 100000},
      {"max", std::nullopt, 100000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<CpuMax> max = ParseCpuMax(c.text);
    ASSERT_TRUE(max.ok()) << max.status();
    EXPECT_EQ(max->quota_us, c.quota_us);
    EXPECT_EQ(max->period_us, c.period_us);
  }
}

TEST(ParseCpuMax, MalformedIsInvalidArgument) {
  for (const char* text : {"abc 100000\n", "1 0\n", "max 0\n", "1 2 3\n", "", "\n", "max abc\n",
                           "-5 100000\n", "20000 -1\n", "20000 1.5\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<CpuMax> max = ParseCpuMax(text);
    EXPECT_TRUE(absl::IsInvalidArgument(max.status())) << max.status();
  }
}

// --- ParseIoStat ----------------------------------------------------------

TEST(ParseIoStat, ReadsEveryDevice) {
  // Documentation/admin-guide/cgroup-v2.rst's example plus the line a 6.x
  // kernel writes for a device with no IO yet: the name and a space.
  absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(
      "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
      "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n"
      "254:0 \n");
  ASSERT_TRUE(io.ok()) << io.status();
  EXPECT_THAT(Describe(*io), ElementsAre("8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353",
                                         "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252",
                                         "254:0 rbytes=0 wbytes=0 rios=0 wios=0"));
}

TEST(ParseIoStat, DeviceWithoutFieldsHasZeroCounters) {
  for (const char* text : {"259:0\n", "259:0 \n", "259:0"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(text);
    ASSERT_TRUE(io.ok()) << io.status();
    EXPECT_THAT(Describe(*io), ElementsAre("259:0 rbytes=0 wbytes=0 rios=0 wios=0"));
  }
}

TEST(ParseIoStat, IgnoresUnknownIntegerKeys) {
  // blk-iocost appends cost.usage, and with blk_cgroup.blkcg_debug_stats=1
  // cost.wait/indebt/indelay and use_delay/delay_nsec.
  absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(
      "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0 use_delay=0 delay_nsec=0 "
      "cost.usage=1250 cost.wait=0 cost.indebt=0 cost.indelay=0\n");
  ASSERT_TRUE(io.ok()) << io.status();
  EXPECT_THAT(Describe(*io), ElementsAre("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2"));
}

TEST(ParseIoStat, EmptyFileHasNoDevices) {
  for (const char* text : {"", "\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(text);
    ASSERT_TRUE(io.ok()) << io.status();
    EXPECT_THAT(*io, IsEmpty());
  }
}

TEST(ParseIoStat, IgnoresKernelFieldsWhoseValuesAreNotIntegers) {
  // The kernel writes io.stat fields whose values are not integers
  // (iocost's "cost.vrate=100.00", iolatency's "depth=max"); they are
  // ignored like any other key that is not ours.
  absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(
      "259:0 rbytes=2048 wbytes=4096 rios=3 wios=4 dbytes=0 dios=0 cost.vrate=100.00 "
      "cost.usage=71\n"
      "8:0 rbytes=1 wbytes=2 rios=5 wios=6 dbytes=0 dios=0 depth=max avg_lat=0 win=0\n");
  ASSERT_TRUE(io.ok()) << io.status();
  EXPECT_THAT(Describe(*io), ElementsAre("259:0 rbytes=2048 wbytes=4096 rios=3 wios=4",
                                         "8:0 rbytes=1 wbytes=2 rios=5 wios=6"));
}

TEST(ParseIoStat, MalformedIsInvalidArgumentNamingTheBadPart) {
  struct Case {
    const char* text;
    const char* named;
  };
  const Case cases[] = {
      {"8-0 rbytes=1\n", "8-0"},        {"8 rbytes=1\n", "\"8\""},
      {"8:0:1 rbytes=1\n", "8:0:1"},    {"sda rbytes=1\n", "sda"},
      {"8:0 rbytes=x\n", "rbytes=x"},   {"8:0 rbytes\n", "rbytes"},
      {"8:0 rbytes=-1\n", "rbytes=-1"}, {"8:0 rbytes=1\nrbytes=2\n", "rbytes=2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<std::vector<DeviceIo>> io = ParseIoStat(c.text);
    EXPECT_TRUE(absl::IsInvalidArgument(io.status())) << io.status();
    EXPECT_THAT(io.status().message(), HasSubstr(c.named));
  }
}

// --- ParseBlkioThrottle ---------------------------------------------------

// blkio.throttle.io_service_bytes as blkg_prfill_rwstat() writes it: per
// device Read, Write, Sync, Async, Discard and Total, then the grand total.
constexpr char kIoServiceBytes[] =
    "254:0 Read 9007104\n"
    "254:0 Write 58707968\n"
    "254:0 Sync 112996352\n"
    "254:0 Async 54652928\n"
    "254:0 Discard 99934208\n"
    "254:0 Total 167649280\n"
    "8:0 Read 4096\n"
    "8:0 Write 0\n"
    "8:0 Sync 4096\n"
    "8:0 Async 0\n"
    "8:0 Discard 0\n"
    "8:0 Total 4096\n"
    "Total 167653376\n";

constexpr char kIoServiced[] =
    "254:0 Read 309\n"
    "254:0 Write 1215\n"
    "254:0 Sync 2225\n"
    "254:0 Async 84\n"
    "254:0 Discard 785\n"
    "254:0 Total 2309\n"
    "8:0 Read 1\n"
    "8:0 Write 0\n"
    "8:0 Sync 1\n"
    "8:0 Async 0\n"
    "8:0 Discard 0\n"
    "8:0 Total 1\n"
    "Total 2310\n";

TEST(ParseBlkioThrottle, ReadsBytesPerDevice) {
  std::vector<DeviceIo> devices;
  ASSERT_TRUE(ParseBlkioThrottle(kIoServiceBytes, /*operations=*/false, devices).ok());
  EXPECT_THAT(Describe(devices), ElementsAre("254:0 rbytes=9007104 wbytes=58707968 rios=0 wios=0",
                                             "8:0 rbytes=4096 wbytes=0 rios=0 wios=0"));
}

TEST(ParseBlkioThrottle, OperationsMergeIntoTheSameDevices) {
  std::vector<DeviceIo> devices;
  ASSERT_TRUE(ParseBlkioThrottle(kIoServiceBytes, /*operations=*/false, devices).ok());
  ASSERT_TRUE(ParseBlkioThrottle(kIoServiced, /*operations=*/true, devices).ok());
  EXPECT_THAT(Describe(devices),
              ElementsAre("254:0 rbytes=9007104 wbytes=58707968 rios=309 wios=1215",
                          "8:0 rbytes=4096 wbytes=0 rios=1 wios=0"));
}

TEST(ParseBlkioThrottle, OperationsFirstThenBytes) {
  std::vector<DeviceIo> devices;
  ASSERT_TRUE(ParseBlkioThrottle(kIoServiced, /*operations=*/true, devices).ok());
  ASSERT_TRUE(ParseBlkioThrottle(kIoServiceBytes, /*operations=*/false, devices).ok());
  EXPECT_THAT(Describe(devices),
              ElementsAre("254:0 rbytes=9007104 wbytes=58707968 rios=309 wios=1215",
                          "8:0 rbytes=4096 wbytes=0 rios=1 wios=0"));
}

TEST(ParseBlkioThrottle, TotalAloneHasNoDevices) {
  // What a cgroup that did no IO shows (this machine's blkio root).
  for (const char* text : {"Total 0\n", "Total 0", ""}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    std::vector<DeviceIo> devices;
    absl::Status status = ParseBlkioThrottle(text, /*operations=*/false, devices);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_THAT(devices, IsEmpty());
  }
}

TEST(ParseBlkioThrottle, MalformedIsInvalidArgument) {
  for (const char* text :
       {"254:0 Read\n", "254:0 Read x\n", "254:0 Read -1\n", "254:0 Read 1 2\n", "254-0 Read 1\n",
        "sda Read 1\n", "254:0\n", "Total\n", "254:0 Read 1\nTotal 1 2\n"}) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    std::vector<DeviceIo> devices;
    absl::Status status = ParseBlkioThrottle(text, /*operations=*/false, devices);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  }
}

// --- ParsePressure --------------------------------------------------------

TEST(ParsePressure, ReadsSomeAndFullTotals) {
  // This machine's /sys/fs/cgroup/unified/{cpu,io}.pressure.
  struct Case {
    const char* text;
    uint64_t some;
    uint64_t full;
  };
  const Case cases[] = {
      {"some avg10=15.01 avg60=22.55 avg300=14.76 total=200170554\n"
       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
       200170554, 0},
      {"some avg10=0.11 avg60=0.18 avg300=0.15 total=8658237\n"
       "full avg10=0.01 avg60=0.08 avg300=0.10 total=7472598\n",
       8658237, 7472598},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(std::string(c.text)));
    absl::StatusOr<Pressure> pressure = ParsePressure(c.text);
    ASSERT_TRUE(pressure.ok()) << pressure.status();
    EXPECT_EQ(pressure->some_total_us, std::optional<uint64_t>(c.some));
    EXPECT_EQ(pressure->full_total_us, std::optional<uint64_t>(c.full));
  }
}

TEST(ParsePressure, SomeLineAloneHasNoFullTotal) {
  // cpu.pressure before Linux 5.13 had no "full" line.
  absl::StatusOr<Pressure> pressure =
      ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=123\n");
  ASSERT_TRUE(pressure.ok()) << pressure.status();
  EXPECT_EQ(pressure->some_total_us, std::optional<uint64_t>(123));
  EXPECT_EQ(pressure->full_total_us, std::nullopt);
}

TEST(ParsePressure, MalformedIsInvalidArgument) {
  for (const char* text : {
           "",
           "\n",
           // No total.
           "some avg10=0.00 avg60=0.00 avg300=0.00\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00\n",
           // Bad total.
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=abc\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
           // No "some" line.
           "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
           // Unknown prefix.
           "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\npartial total=2\n",
           "Some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
       }) {
    SCOPED_TRACE(PrintToString(std::string(text)));
    absl::StatusOr<Pressure> pressure = ParsePressure(text);
    EXPECT_TRUE(absl::IsInvalidArgument(pressure.status())) << pressure.status();
  }
}

// --- CpuSharesToWeight ----------------------------------------------------

TEST(CpuSharesToWeight, RoundsToTheNearestWeightWithinOneToTenThousand) {
  // The kernel's sched_weight_to_cgroup() (kernel/sched/sched.h) is
  // clamp(DIV_ROUND_CLOSEST(shares * 100, 1024), 1, 10000): cgroup v2
  // weights live in [CGROUP_WEIGHT_MIN, CGROUP_WEIGHT_MAX]. v1 shares go from 2 to 262144
  // (MIN_SHARES, MAX_SHARES), so both ends need the clamp: 2 shares is 0.2 -> 0 -> 1, and any share
  // above 102400 (= weight 10000 written through cpu.weight) is 10000, 262144's 25600 included. 128
  // shares is 12.5, which rounds half up to 13 as DIV_ROUND_CLOSEST does; 102394 is 9999.4 -> 9999.
  struct Case {
    uint64_t shares;
    double weight;
  };
  const Case cases[] = {
      {1024, 100}, {2, 1},      {512, 50},      {262144, 10000}, {100, 10},
      {1, 1},      {0, 1},      {5, 1},         {15, 1},         {16, 2},
      {128, 13},   {2048, 200}, {102394, 9999}, {102400, 10000}, {102405, 10000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shares);
    EXPECT_EQ(CpuSharesToWeight(c.shares), c.weight);
  }
}

}  // namespace
}  // namespace strata
