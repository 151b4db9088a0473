#include "collectors/image/image_release.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "collectors/image/image_collector.h"
#include "exporter/scraper.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/collector_test_base.h"
#include "tests/support/fake_host_fs.h"
#include "tests/support/family_lookup.h"

namespace strata {
namespace {

using testing::Collected;
using testing::FakeHostFs;
using testing::FindSample;
using ::testing::HasSubstr;
using testing::IsQuiet;

TEST(ParseOsRelease, UnquotesAsOsReleaseDefines) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"ID=debian\n", "ID", "debian"},
      {"NAME=\"Debian GNU/Linux\"\n", "NAME", "Debian GNU/Linux"},
      {"NAME='single $quoted \\x'\n", "NAME", "single $quoted \\x"},
      {"A=\"q\\\"uote \\\\ \\` \\$ \\x\"\n", "A", "q\"uote \\ ` $ \\x"},
      {"A=bare\\ value\\$\n", "A", "bare value$"},
      {"A=  spaced   \n", "A", "spaced"},
      {"A=\"x\"   \n", "A", "x"},
      {"A=\n", "A", ""},
      {"A=\"\"\n", "A", ""},
      {"A=crlf\r\n", "A", "crlf"},
      {"  # comment\n\nA=1\nA=2\n", "A", "2"},
      {"A=x=y\n", "A", "x=y"},
      {"A = x\n", "A", "x"},
      {"VERSION=\"12 (bookworm)\"", "VERSION", "12 (bookworm)"},
  };
  for (const auto& [text, key, want] : cases) {
    absl::StatusOr<std::map<std::string, std::string>> got = ParseOsRelease(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status();
    EXPECT_EQ((*got)[key], want) << text;
  }
}

TEST(ParseOsRelease, MalformedLinesAreErrorsNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ID=debian\nNAME=\"Debian\n", "line 2: NAME: unbalanced double quote"},
      {"NAME='Debian\n", "line 1: NAME: unbalanced single quote"},
      {"NAME=Debian\"\n", "unbalanced quote inside an unquoted value"},
      {"NAME=\"a\"\"b\"\n", "text after the closing quote"},
      {"NAME='a'b\n", "text after the closing quote"},
      {"just words\n", "line 1: expected KEY=value"},
      {"1KEY=x\n", "not a variable name"},
      {"KEY-X=x\n", "not a variable name"},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<std::map<std::string, std::string>> got = ParseOsRelease(text);
    ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << text;
    EXPECT_THAT(got.status().message(), HasSubstr(want)) << text;
  }
}

TEST(ParseBuildTimestamp, SecondsOrRfc3339) {
  const std::vector<std::pair<std::string, double>> cases = {
      {"1700000000", 1700000000},
      {" 1700000000.5\n", 1700000000.5},
      {"2023-11-14T22:13:20Z", 1700000000},
      {"2023-11-14T23:13:20+01:00", 1700000000},
      {"2023-11-14T22:13:20.25Z", 1700000000.25},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<double> got = ParseBuildTimestamp(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status();
    EXPECT_DOUBLE_EQ(*got, want) << text;
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "yesterday", "2023-11-14", "2023-11-14 22:13:20", "-5", "1.2.3",
                                "infinite-past", "infinite-future", std::string(400, '9')}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseBuildTimestamp(bad).status())) << bad;
  }
}

class ImageCollectorTest : public testing::CollectorTestBase {
 protected:
  Collected Collect(const HostFs& fs, const std::string& stamp = "") {
    return CollectWith(fs, [&](const CollectorContext& context) {
      ImageCollectorOptions options;
      options.stamp_file = stamp;
      return NewImageCollector(context, options);
    });
  }
};

std::map<std::string, std::string> InfoLabels(const Collected& c) {
  return testing::OnlySampleLabels(c, "strata_image_info");
}

std::optional<double> BuildTimestamp(const Collected& c) {
  return FindSample(c.families, "strata_image_build_timestamp_seconds");
}

TEST_F(ImageCollectorTest, NoOsReleaseIsQuiet) {
  FakeHostFs fs;
  EXPECT_TRUE(IsQuiet(Collect(fs, "etc/image-stamp")));
}

TEST_F(ImageCollectorTest, FallsBackToUsrLibOsRelease) {
  FakeHostFs fs;
  fs.AddFile(HostRoot::kRootfs, "usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  Collected c = Collect(fs);
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(InfoLabels(c), (std::map<std::string, std::string>{{"build_id", ""},
                                                               {"image_id", ""},
                                                               {"image_version", ""},
                                                               {"os_id", "debian"},
                                                               {"os_version", "12"}}));
  EXPECT_FALSE(BuildTimestamp(c).has_value());
}

TEST_F(ImageCollectorTest, StampOverridesOsReleaseAndGivesTheBuildTime) {
  FakeHostFs fs;
  fs.AddFile(HostRoot::kRootfs, "etc/os-release",
             "ID=debian\nVERSION_ID=12\nIMAGE_ID=base\nIMAGE_VERSION=1\nBUILD_ID=b1\n");
  fs.AddFile(HostRoot::kRootfs, "etc/image-stamp",
             "IMAGE_VERSION='2024.05.1'\nBUILD_TIMESTAMP=2024-05-01T12:00:00Z\nID=ignored\n");
  Collected c = Collect(fs, "etc/image-stamp");
  ASSERT_TRUE(c.status.ok()) << c.status;
  std::map<std::string, std::string> labels = InfoLabels(c);
  EXPECT_EQ(labels["image_id"], "base");
  EXPECT_EQ(labels["image_version"], "2024.05.1");
  EXPECT_EQ(labels["build_id"], "b1");
  EXPECT_EQ(labels["os_id"], "debian");
  EXPECT_EQ(BuildTimestamp(c), 1714564800.0);
}

TEST_F(ImageCollectorTest, StampWithoutTimestampUsesItsMtime) {
  FakeHostFs fs;
  fs.AddFile(HostRoot::kRootfs, "etc/os-release", "ID=debian\n");
  fs.AddFile(HostRoot::kRootfs, "stamp", "IMAGE_ID=web\n");
  FileStat stat;
  stat.mtime = absl::FromUnixSeconds(1600000000);
  fs.SetStat(HostRoot::kRootfs, "stamp", stat);
  Collected c = Collect(fs, "stamp");
  ASSERT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(InfoLabels(c)["image_id"], "web");
  EXPECT_EQ(BuildTimestamp(c), 1600000000.0);
}

TEST_F(ImageCollectorTest, MissingStampIsQuiet) {
  FakeHostFs fs;
  fs.AddFile(HostRoot::kRootfs, "etc/os-release", "ID=debian\n");
  Collected c = Collect(fs, "etc/image-stamp");
  EXPECT_TRUE(c.status.ok()) << c.status;
  EXPECT_EQ(InfoLabels(c)["os_id"], "debian");
  EXPECT_THAT(log_.str(), HasSubstr("no image stamp file"));
}

TEST_F(ImageCollectorTest, BadInputFailsNamingTheFile) {
  {
    FakeHostFs fs;
    fs.AddFile(HostRoot::kRootfs, "etc/os-release", "ID=debian\nNAME=\"Debian\n");
    Collected c = Collect(fs);
    EXPECT_THAT(c.status.message(), HasSubstr("/fake/root/etc/os-release: line 2"));
    EXPECT_TRUE(c.families.empty());
  }
  {
    collector_.reset();  // each block is a new host
    FakeHostFs fs;
    fs.FailWith(HostRoot::kRootfs, "etc/os-release", absl::PermissionDeniedError("open x: denied"));
    EXPECT_TRUE(absl::IsPermissionDenied(Collect(fs).status));
  }
  {
    collector_.reset();
    FakeHostFs fs;
    fs.AddFile(HostRoot::kRootfs, "etc/os-release", std::string(kMaxReleaseFileBytes + 1, '#'));
    EXPECT_TRUE(absl::IsResourceExhausted(Collect(fs).status));
  }
  {
    // A bad timestamp fails the collector but the identity is still served.
    collector_.reset();
    FakeHostFs fs;
    fs.AddFile(HostRoot::kRootfs, "etc/os-release", "ID=debian\n");
    fs.AddFile(HostRoot::kRootfs, "stamp", "IMAGE_ID=web\nBUILD_TIMESTAMP=yesterday\n");
    Collected c = Collect(fs, "stamp");
    EXPECT_THAT(c.status.message(), HasSubstr("/fake/root/stamp: BUILD_TIMESTAMP \"yesterday\""));
    EXPECT_EQ(InfoLabels(c)["image_id"], "web");
    EXPECT_FALSE(BuildTimestamp(c).has_value());
  }
  {
    collector_.reset();
    FakeHostFs fs;
    fs.AddFile(HostRoot::kRootfs, "etc/os-release", "ID=debian\n");
    fs.AddFile(HostRoot::kRootfs, "stamp", "IMAGE_ID='web\n");
    Collected c = Collect(fs, "stamp");
    EXPECT_THAT(c.status.message(), HasSubstr("/fake/root/stamp: line 1: IMAGE_ID"));
  }
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

namespace fs = std::filesystem;

// A FIFO at /etc/os-release under --path.rootfs left a collector thread in
// open() for good, and every later scrape waited out its whole deadline.
TEST(ImageCollectorOnARealTree, AFifoAtOsReleaseFailsAtOnceAndLaterScrapesDoNotWait) {
  std::string templ = (fs::temp_directory_path() / "strata-fifo-XXXXXX").string();
  const fs::path root = mkdtemp(templ.data());
  fs::create_directories(root / "etc");
  const fs::path fifo = root / "etc/os-release";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::unique_ptr<HostFs> host = testing::RealHostFsWithRootfs(root);
  std::ostringstream log;
  Logger logger(LogLevel::kInfo, log);
  std::vector<Scraper::NamedCollector> collectors;
  collectors.push_back({"image", NewImageCollector(CollectorContext{*host, logger}, {})});
  Scraper scraper(std::move(collectors), logger);
  for (int scrape = 0; scrape < 3; ++scrape) {
    SCOPED_TRACE(scrape);
    const absl::Time start = absl::Now();
    auto families = scraper.Scrape({}, start + absl::Seconds(2));
    ASSERT_TRUE(families.ok());
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
    EXPECT_EQ(FindSample(*families, "strata_scrape_collector_success", {{"collector", "image"}}),
              0);
  }
  EXPECT_THAT(log.str(), HasSubstr(fifo.string() + ": not a regular file"));
  // Were a thread still in open(), a writer would let it go.
  const int unblock = open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  if (unblock >= 0) close(unblock);
  EXPECT_TRUE(scraper.AwaitIdle(absl::Now() + absl::Seconds(5)));
  fs::remove_all(root);
}

}  // namespace
}  // namespace strata
