#include "base/utf8.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

constexpr char kFffd[] = "\xef\xbf\xbd";

TEST(MakeValidUtf8, ReplacesEachMaximalIllFormedSubpart) {
  const std::string r = kFffd;
  struct Case {
    std::string in;
    std::string out;
    size_t replaced;
  } cases[] = {
      {"", "", 0},
      {"plain ascii", "plain ascii", 0},
      {"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", 0},
      {std::string("nul\0inside", 10), std::string("nul\0inside", 10), 0},
      {"caf\xe9", "caf" + r, 1},               // Latin-1
      {"\xe9t\xe9", r + "t" + r, 2},           // Latin-1 twice
      {"\x80", r, 1},                          // lone continuation byte
      {"\xc0\xaf", r + r, 2},                  // overlong "/"
      {"\xe0\x80\xaf", r + r + r, 3},          // overlong, three bytes
      {"\xed\xa0\x80", r + r + r, 3},          // a surrogate (U+D800)
      {"\xf4\x90\x80\x80", r + r + r + r, 4},  // above U+10FFFF
      {"\xf5\x80", r + r, 2},                  // never a lead byte
      {"\xe2\x98", r, 1},                      // cut short at the end
      {"\xe2\x98x", r + "x", 1},               // cut short before ASCII
      {"\xf0\x9f\x98", r, 1},                  // cut four-byte sequence
      {"a\xff\xfe"
       "b",
       "a" + r + r + "b", 2},                       // UTF-16 byte order mark
      {"\xef\xbf\xbd", "\xef\xbf\xbd", 0},          // U+FFFD itself is fine
      {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", 0},  // U+10FFFF
  };
  for (const Case& c : cases) {
    std::string text = c.in;
    EXPECT_EQ(MakeValidUtf8(text), c.replaced) << c.in;
    EXPECT_EQ(text, c.out) << c.in;
    EXPECT_TRUE(IsValidUtf8(text)) << c.in;
    EXPECT_EQ(IsValidUtf8(c.in), c.replaced == 0) << c.in;
  }
}

TEST(MakeFamiliesValidUtf8, CoversHelpLabelNamesAndValues) {
  std::vector<prometheus::MetricFamily> families(1);
  families[0].name = "strata_test";
  families[0].help = "Help \xe9.";
  families[0].metric.resize(2);
  families[0].metric[0].label = {{"path", "/srv/caf\xe9"}, {"ok", "fine"}};
  families[0].metric[1].label = {{"n\xff", "\xc3"}};
  EXPECT_EQ(MakeFamiliesValidUtf8(families), 4u);
  EXPECT_EQ(families[0].help, std::string("Help ") + kFffd + ".");
  EXPECT_EQ(families[0].metric[0].label[0].value, std::string("/srv/caf") + kFffd);
  EXPECT_EQ(families[0].metric[0].label[1].value, "fine");
  EXPECT_EQ(families[0].metric[1].label[0].name, std::string("n") + kFffd);
  EXPECT_EQ(families[0].metric[1].label[0].value, kFffd);
  EXPECT_EQ(MakeFamiliesValidUtf8(families), 0u);
}

}  // namespace
}  // namespace strata
