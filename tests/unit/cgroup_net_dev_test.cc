#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/cgroup/net_dev.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The two header lines every kernel since 2.6 writes (net/core/net-procfs.c).
constexpr char kHeader[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

// /proc/net/dev of the Firecracker guest the fixtures come from (6.18.44),
// captured with cat: the host's namespace.
constexpr char kHost618[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 6001426068 6505901    0    0    0     0          0         0 6001426068 6505901    "
    "0    0    0     0       0          0\n"
    "  ifb0:       0       0    0    0    0     0          0         0        0       0    0    "
    "0    0     0       0          0\n"
    "  ifb1:       0       0    0    0    0     0          0         0        0       0    0    "
    "0    0     0       0          0\n"
    "  eth0: 1618349936   63163    0    0    0     0          0         0  5170159   41480    0 "
    "   0    0     0       0          0\n";

// The same kernel, a namespace whose root named veths as it liked: bytes
// that are not UTF-8, a quote and a backslash (capture_netns.sh).
constexpr char kHostileNames618[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:      90       2    0    0    0     0          0         0       90       2    0    "
    "0    0     0       0          0\n"
    "  eth0:    1448      21    0    0    0     0          0         0     1417      20    0    "
    "0    0     0       0          0\n"
    " a\"b\\c:       0       0    0    0    0     0          0         0        0       0    0  "
    "  0    0     0       0          0\n"
    "  \xff\xfe"
    "ab:       0       0    0    0    0     0          0         0        0       0    0    0  "
    "  0     0       0          0\n";

std::string Line(const std::string& name, const std::string& values) {
  return absl::StrCat(name, ": ", values, "\n");
}
constexpr char kSixteenZeros[] = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0";

std::string Describe(const NetDevCounters& c) {
  return absl::StrCat(c.interface, " rx ", c.receive_bytes, "B ", c.receive_packets, "p ",
                      c.receive_errors, "e ", c.receive_drops, "d tx ", c.transmit_bytes, "B ",
                      c.transmit_packets, "p ", c.transmit_errors, "e ", c.transmit_drops, "d");
}
std::vector<std::string> Describe(const std::vector<NetDevCounters>& interfaces) {
  std::vector<std::string> out;
  for (const NetDevCounters& c : interfaces) out.push_back(Describe(c));
  return out;
}

struct GoodCase {
  const char* name;
  std::string text;
  std::vector<std::string> want;
};

class ParseNetDevGood : public ::testing::TestWithParam<GoodCase> {};

TEST_P(ParseNetDevGood, ReadsEveryInterfaceInTheKernelsOrder) {
  absl::StatusOr<std::vector<NetDevCounters>> parsed = ParseNetDev(GetParam().text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(Describe(*parsed), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Captures, ParseNetDevGood,
    ::testing::Values(
        GoodCase{"host_6_18",
                 kHost618,
                 {"lo rx 6001426068B 6505901p 0e 0d tx 6001426068B 6505901p 0e 0d",
                  "ifb0 rx 0B 0p 0e 0d tx 0B 0p 0e 0d", "ifb1 rx 0B 0p 0e 0d tx 0B 0p 0e 0d",
                  "eth0 rx 1618349936B 63163p 0e 0d tx 5170159B 41480p 0e 0d"}},
        GoodCase{
            "hostile_names_6_18",
            kHostileNames618,
            {"lo rx 90B 2p 0e 0d tx 90B 2p 0e 0d", "eth0 rx 1448B 21p 0e 0d tx 1417B 20p 0e 0d",
             "a\"b\\c rx 0B 0p 0e 0d tx 0B 0p 0e 0d",
             "\xff\xfe"
             "ab rx 0B 0p 0e 0d tx 0B 0p 0e 0d"}},
        // Each column where the header puts it: errs, drop of both directions.
        GoodCase{
            "errors_and_drops",
            std::string(kHeader) + Line("  eth0", "100 2 3 4 5 6 7 8 900 10 11 12 13 14 15 16"),
            {"eth0 rx 100B 2p 3e 4d tx 900B 10p 11e 12d"}},
        // 2.6-era kernels printed no space after the colon ("%6s:%8lu").
        GoodCase{"no_space_after_the_colon",
                 std::string(kHeader) +
                     "  eth0:1865785585 20346539    0    0    0     0          0         0 "
                     "3093436432 18166519    0    0    0     0       0          0\n",
                 {"eth0 rx 1865785585B 20346539p 0e 0d tx 3093436432B 18166519p 0e 0d"}},
        GoodCase{
            "counters_at_2_to_the_64_minus_1",
            std::string(kHeader) + Line("  eth0",
                                        "18446744073709551615 1 0 0 0 0 0 0 18446744073709551615 1 "
                                        "0 0 0 0 0 0"),
            {"eth0 rx 18446744073709551615B 1p 0e 0d tx 18446744073709551615B 1p 0e 0d"}},
        GoodCase{"a_name_of_15_bytes",
                 std::string(kHeader) + Line("abcdefghijklmno", kSixteenZeros),
                 {"abcdefghijklmno rx 0B 0p 0e 0d tx 0B 0p 0e 0d"}},
        GoodCase{"no_newline_at_the_end",
                 std::string(kHeader) + "  eth0: " + kSixteenZeros,
                 {"eth0 rx 0B 0p 0e 0d tx 0B 0p 0e 0d"}},
        GoodCase{"headers_only", kHeader, {}},
        // A kernel that added a column would still be read by the names.
        GoodCase{"an_extra_column_found_by_name",
                 "Inter-|   Receive                                                |  Transmit\n"
                 " face |new bytes    packets errs drop fifo frame compressed multicast|bytes    "
                 "packets errs drop fifo colls carrier compressed\n" +
                     Line("  eth0", "99 100 2 3 4 5 6 7 8 900 10 11 12 13 14 15 16"),
                 {"eth0 rx 100B 2p 3e 4d tx 900B 10p 11e 12d"}}),
    [](const auto& info) { return std::string(info.param.name); });

struct BadCase {
  const char* name;
  std::string text;
  const char* error;  // a part of the message
};

class ParseNetDevBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseNetDevBad, IsInvalidArgumentSayingWhy) {
  absl::StatusOr<std::vector<NetDevCounters>> parsed = ParseNetDev(GetParam().text);
  ASSERT_FALSE(parsed.ok()) << Describe(*parsed).size() << " interfaces";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(GetParam().error));
  // The message never carries the file's bytes.
  EXPECT_THAT(parsed.status().message(), ::testing::Not(HasSubstr("\xff")));
}

const std::string kHeaderLine1 =
    "Inter-|   Receive                                                |  Transmit\n";

INSTANTIATE_TEST_SUITE_P(
    Malformed, ParseNetDevBad,
    ::testing::Values(
        BadCase{"empty", "", "no \"Inter-|\" header"},
        BadCase{"first_header_line_only", kHeaderLine1, "no \"Inter-|\" header"},
        BadCase{"interfaces_without_headers", Line("  eth0", kSixteenZeros), "header"},
        BadCase{"second_header_line_not_three_sections",
                kHeaderLine1 + " face |bytes packets errs drop\n", "second header line"},
        BadCase{"no_drop_column",
                kHeaderLine1 + " face |bytes packets errs|bytes packets errs drop\n",
                "no \"drop\" column under Receive"},
        BadCase{"no_colon", std::string(kHeader) + "  eth0 " + kSixteenZeros + "\n",
                "line 3: no ':'"},
        BadCase{"fifteen_values",
                std::string(kHeader) + Line("  eth0", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"),
                "15 values where the header has 16"},
        BadCase{"seventeen_values",
                std::string(kHeader) + Line("  eth0", std::string(kSixteenZeros) + " 0"),
                "17 values"},
        BadCase{"not_a_number",
                std::string(kHeader) + Line("  eth0", "12a 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"),
                "value 1 is not an unsigned integer"},
        BadCase{"negative",
                std::string(kHeader) + Line("  eth0", "0 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0"),
                "value 2"},
        BadCase{"plus_sign",
                std::string(kHeader) + Line("  eth0", "0 0 +1 0 0 0 0 0 0 0 0 0 0 0 0 0"),
                "value 3"},
        BadCase{"above_2_to_the_64",
                std::string(kHeader) +
                    Line("  eth0", "18446744073709551616 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"),
                "value 1"},
        BadCase{"carriage_return", std::string(kHeader) + "  eth0: " + kSixteenZeros + "\r\n",
                "value 16"},
        BadCase{"empty_name", std::string(kHeader) + Line("      ", kSixteenZeros),
                "interface name of 0 bytes"},
        BadCase{"name_of_16_bytes", std::string(kHeader) + Line("abcdefghijklmnop", kSixteenZeros),
                "interface name of 16 bytes"},
        BadCase{"tab_in_the_name", std::string(kHeader) + Line("  et\th0", kSixteenZeros),
                "a byte no name may hold"},
        BadCase{"slash_in_the_name", std::string(kHeader) + Line("  et/h0", kSixteenZeros),
                "a byte no name may hold"},
        BadCase{
            "the_same_name_twice",
            std::string(kHeader) + Line("  eth0", kSixteenZeros) + Line("  eth0", kSixteenZeros),
            "line 4: an interface of that name came before"},
        BadCase{"an_empty_line", std::string(kHeader) + "\n" + Line("  eth0", kSixteenZeros),
                "line 3: no ':'"},
        BadCase{"hostile_bytes_in_a_bad_line", std::string(kHeader) + "\xff\xfe garbage\n",
                "line 3"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ParseNetNamespaceLink, ReadsTheInode) {
  EXPECT_EQ(ParseNetNamespaceLink("net:[4026531833]").value(), 4026531833u);
  for (const char* bad :
       {"", "net:[]", "mnt:[4026531833]", "net:[4026531833]\n", "net:[-1]", "net:[0x10]",
        "net:[123", "net:[99999999999999999999999]", "/run/netns/x"}) {
    absl::StatusOr<uint64_t> inode = ParseNetNamespaceLink(bad);
    EXPECT_FALSE(inode.ok()) << bad;
    EXPECT_EQ(inode.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseFirstPid, TakesTheFirstLineOnly) {
  EXPECT_EQ(ParseFirstPid("").value(), std::nullopt);
  EXPECT_EQ(ParseFirstPid("11887\n11892\n").value(), 11887);
  EXPECT_EQ(ParseFirstPid("4194304\n").value(), 4194304);
  // A prefix of a long file, cut inside the second line.
  EXPECT_EQ(ParseFirstPid("42\n43").value(), 42);
  for (const char* bad :
       {"\n", "0\n", "-1\n", " 12\n", "12 \n", "abc\n", "4194305\n", "99999999999999999999\n"}) {
    EXPECT_FALSE(ParseFirstPid(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace strata
