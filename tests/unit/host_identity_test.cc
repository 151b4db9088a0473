#include <string>
#include <vector>

#include "collectors/host/identity.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::PrintToString;

struct Case {
  std::string text;  // the file's content
  std::string want;  // the label value
};

TEST(NormalizeDmiUuid, KeepsWellFormedUuidsInLowerCase) {
  const Case cases[] = {
      // As the kernel prints it (lower case since %pUl/%pUb; upper case before).
      {"6695eb01-f6a4-8304-79aa-97f2502e193f\n", "6695eb01-f6a4-8304-79aa-97f2502e193f"},
      {"6695EB01-F6A4-8304-79AA-97F2502E193F\n", "6695eb01-f6a4-8304-79aa-97f2502e193f"},
      {"  4c4c4544-0048-3510-8035-b7c04f4e3533 \n", "4c4c4544-0048-3510-8035-b7c04f4e3533"},
      {"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000001"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.text));
    EXPECT_EQ(NormalizeDmiUuid(c.text), c.want);
  }
}

TEST(NormalizeDmiUuid, PlaceholdersAndMalformedValuesAreEmpty) {
  for (const std::string& text : std::vector<std::string>{
           "",
           "\n",
           "00000000-0000-0000-0000-000000000000\n",  // not set
           "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n",  // "not present, settable"
           "ffffffff-ffff-ffff-ffff-ffffffffffff",
           "03000200-0400-0500-0006-000700080009\n",  // AMI's template value
           "Not Settable\n",
           "Not Specified\n",
           "6695eb01f6a4830479aa97f2502e193f\n",       // no dashes
           "{6695eb01-f6a4-8304-79aa-97f2502e193f}",   // braces
           "6695eb01-f6a4-8304-79aa-97f2502e193\n",    // one digit short
           "6695eb01-f6a4-8304-79aa-97f2502e193ff\n",  // one too many
           "6695eb01-f6a4-8304-79aa+97f2502e193f\n",   // a dash moved
           "6695eb01-f6a4-8304-79aa-97f2502e193g\n",   // not hex
           "6695eb01-f6a4-8304-79aa-97f2502e193f\"} 1\nx{a=\"",
           std::string("6695eb01-f6a4-8304-79aa-97f2502e\0193f", 36),
           "6695eb01-f6a4-8304-79aa-97f2502e19\xc3\xa9",
       }) {
    SCOPED_TRACE(PrintToString(text));
    EXPECT_EQ(NormalizeDmiUuid(text), "");
  }
}

TEST(NormalizeDmiSerial, KeepsRealSerialsTrimmed) {
  const Case cases[] = {
      {"7H5N53S\n", "7H5N53S"},
      {"  CZ1234567X  \n", "CZ1234567X"},
      {"VMware-56 4d 9b 2a 7c 1e 3f 5a-8b 9c 0d 1e 2f 3a 4b 5c\n",
       "VMware-56 4d 9b 2a 7c 1e 3f 5a-8b 9c 0d 1e 2f 3a 4b 5c"},
      {"ec2a8f3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n", "ec2a8f3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
      {"0000001\n", "0000001"},
      {std::string(64, 'S'), std::string(64, 'S')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.text));
    EXPECT_EQ(NormalizeDmiSerial(c.text), c.want);
  }
}

TEST(NormalizeDmiSerial, PlaceholdersAndMalformedValuesAreEmpty) {
  for (const std::string& text : std::vector<std::string>{
           "",
           "\n",  // an empty SMBIOS string, as QEMU leaves it
           "   \n",
           "Not Specified\n",
           "To be filled by O.E.M.\n",
           "To Be Filled By O.E.M.\n",
           "Default string\n",
           "System Serial Number\n",
           "0123456789\n",
           "None\n",
           "N/A\n",
           "Not Applicable\n",
           "NOT AVAILABLE\n",
           "0\n",
           "00000000\n",
           std::string(65, 'S'),  // longer than SMBIOS strings are
           "ABC\x01"
           "DEF\n",           // a control character
           "ABC\nDEF\n",      // two lines
           "S\xc3\xa9rie\n",  // not ASCII
       }) {
    SCOPED_TRACE(PrintToString(text));
    EXPECT_EQ(NormalizeDmiSerial(text), "");
  }
}

TEST(NormalizeMachineId, KeepsSystemdsFormat) {
  const Case cases[] = {
      {"3d1219c7c4c5404aaa1f6d2a48adfda4\n", "3d1219c7c4c5404aaa1f6d2a48adfda4"},
      {"3d1219c7c4c5404aaa1f6d2a48adfda4", "3d1219c7c4c5404aaa1f6d2a48adfda4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(PrintToString(c.text));
    EXPECT_EQ(NormalizeMachineId(c.text), c.want);
  }
}

TEST(NormalizeMachineId, AnythingElseIsEmpty) {
  for (const std::string& text : std::vector<std::string>{
           "",
           "\n",
           "uninitialized\n",                     // systemd's first boot
           "00000000000000000000000000000000\n",  // the null ID
           "3D1219C7C4C5404AAA1F6D2A48ADFDA4\n",  // upper case
           "3d1219c7-c4c5-404a-aa1f-6d2a48adfda4\n",
           "3d1219c7c4c5404aaa1f6d2a48adfda\n",    // 31 digits
           "3d1219c7c4c5404aaa1f6d2a48adfda45\n",  // 33
           " 3d1219c7c4c5404aaa1f6d2a48adfda4\n",
           "3d1219c7c4c5404aaa1f6d2a48adfda4\n\n",
           "3d1219c7c4c5404aaa1f6d2a48adfdg4\n",
       }) {
    SCOPED_TRACE(PrintToString(text));
    EXPECT_EQ(NormalizeMachineId(text), "");
  }
}

}  // namespace
}  // namespace strata
