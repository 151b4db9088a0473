#include "collectors/drift/drift_collector.h"

#include <sstream>

#include "collectors/drift/drift_hasher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_host_fs.h"

namespace strata {
namespace {

using testing::FakeHostFs;
using ::testing::HasSubstr;

constexpr HostRoot kRoot = HostRoot::kRootfs;

// The digest of `text` as the collector computes it for a file (checked
// against FIPS 180-2's vectors in drift_baselines_test.cc).
std::string Sha(absl::string_view text) {
  FakeHostFs fs;
  fs.AddFile(kRoot, "text", std::string(text));
  return *Sha256HexOfFile(fs, kRoot, "text", nullptr);
}

// Samples of one family as "label=value,...: value" lines, in order.
std::vector<std::string> Samples(const std::vector<prometheus::MetricFamily>& families,
                                 const std::string& name) {
  std::vector<std::string> out;
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::string line;
      for (const auto& label : metric.label) line += label.name + "=" + label.value + ",";
      double value = family.type == prometheus::MetricType::Counter ? metric.counter.value
                                                                    : metric.gauge.value;
      out.push_back(line + ": " + std::to_string(static_cast<long long>(value)));
    }
  }
  return out;
}

class DriftCollectorTest : public ::testing::Test {
 protected:
  DriftCollectorTest() : logger_(LogLevel::kDebug, log_) {}

  std::unique_ptr<Collector> Make(const DriftCollectorOptions& options) {
    CollectorContext context{fs_, logger_};
    absl::StatusOr<std::unique_ptr<Collector>> collector = NewDriftCollector(context, options);
    EXPECT_TRUE(collector.ok()) << collector.status();
    return collector.ok() ? *std::move(collector) : nullptr;
  }

  absl::Status Scrape(Collector& collector) {
    families_.clear();
    return collector.Collect(families_);
  }

  std::vector<std::string> Get(const std::string& name) const { return Samples(families_, name); }

  FakeHostFs fs_;
  std::ostringstream log_;
  Logger logger_;
  std::vector<prometheus::MetricFamily> families_;
};

TEST_F(DriftCollectorTest, NothingConfiguredIsQuiet) {
  auto collector = Make({});
  EXPECT_TRUE(Scrape(*collector).ok());
  EXPECT_TRUE(families_.empty());
}

TEST_F(DriftCollectorTest, BadFlagValuesAreStartUpErrors) {
  CollectorContext context{fs_, logger_};
  DriftCollectorOptions options;
  options.files = {"nopath"};
  EXPECT_THAT(NewDriftCollector(context, options).status().message(),
              HasSubstr("--collector.drift.files: \"nopath\" is not NAME=PATH"));
  options.files = {"a=/x", "a=/y"};
  EXPECT_THAT(NewDriftCollector(context, options).status().message(),
              HasSubstr("\"a\" is given twice"));
  options.files = {"a=/x"};
  options.packages = {"a=/y"};  // the same name for another kind is fine
  EXPECT_TRUE(NewDriftCollector(context, options).ok());
}

TEST_F(DriftCollectorTest, EveryFileStateAndTheCap) {
  fs_.AddFile(kRoot, "/etc/same", "same");
  fs_.AddFile(kRoot, "/etc/modified", "new");
  fs_.FailWith(kRoot, "/etc/denied", absl::PermissionDeniedError("open /fake/root/etc/denied"));
  fs_.AddDir(kRoot, "/etc/dir");
  fs_.AddFile(kRoot, "/etc/fifo", "");
  FileStat fifo;
  fifo.type = FileStat::Type::kFifo;
  fs_.SetStat(kRoot, "/etc/fifo", fifo);
  fs_.AddFile(kRoot, "base",
              Sha("same") + "  /etc/same\n" + Sha("old") + "  /etc/modified\n" + Sha("x") +
                  "  /etc/missing\n" + Sha("x") + "  /etc/denied\n" + Sha("x") + "  /etc/dir\n" +
                  Sha("x") + "  /etc/fifo\n");
  DriftCollectorOptions options;
  options.files = {"etc=base"};
  options.max_drifted_files = 3;
  auto collector = Make(options);
  absl::Status status = Scrape(*collector);
  // Unreadable files are counted and fail the collector, naming the first.
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("file baseline etc: 3 file(s) could not be hashed: "
                        "open /fake/root/etc/denied; /fake/root//etc/dir: is a directory; "
                        "/fake/root//etc/fifo: not a regular file"));
  EXPECT_EQ(Get("strata_drift_files"),
            (std::vector<std::string>{
                "baseline=etc,state=matching,: 1", "baseline=etc,state=modified,: 1",
                "baseline=etc,state=missing,: 1", "baseline=etc,state=unreadable,: 3"}));
  // Path order, cut at 3.
  EXPECT_EQ(Get("strata_drift_file_drifted"),
            (std::vector<std::string>{"baseline=etc,path=/etc/denied,state=unreadable,: 1",
                                      "baseline=etc,path=/etc/dir,state=unreadable,: 1",
                                      "baseline=etc,path=/etc/fifo,state=unreadable,: 1"}));
  EXPECT_EQ(Get("strata_drift_file_drifted_omitted"),
            (std::vector<std::string>{"baseline=etc,: 2"}));
  // A FIFO and a directory are never opened.
  EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/fifo"), 0);
  EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/dir"), 0);
}

TEST_F(DriftCollectorTest, HashesOnlyWhenStatChanges) {
  fs_.set_chunk_size(3);  // many chunks per file
  fs_.AddFile(kRoot, "/etc/a", "contents of a");
  fs_.AddFile(kRoot, "/etc/b", "contents of b");
  FileStat a;
  a.inode = 10;
  a.size = 13;
  a.mtime = absl::FromUnixSeconds(100);
  a.ctime = absl::FromUnixSeconds(100);
  fs_.SetStat(kRoot, "/etc/a", a);
  fs_.AddFile(kRoot, "base",
              Sha("contents of a") + "  /etc/a\n" + Sha("contents of b") + "  /etc/b\n");
  DriftCollectorOptions options;
  options.files = {"etc=base"};
  auto collector = Make(options);

  ASSERT_TRUE(Scrape(*collector).ok());
  EXPECT_EQ(Get("strata_drift_file_hashes_total"), std::vector<std::string>{": 2"});
  EXPECT_EQ(Get("strata_drift_hashed_bytes_total"), std::vector<std::string>{": 26"});
  ASSERT_TRUE(Scrape(*collector).ok());
  ASSERT_TRUE(Scrape(*collector).ok());
  EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/a"), 1);
  EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/b"), 1);
  EXPECT_EQ(Get("strata_drift_file_hashes_total"), std::vector<std::string>{": 2"});

  // Each of device, inode, size, mtime and ctime alone makes it hash again.
  const std::vector<std::function<void(FileStat&)>> changes = {
      [](FileStat& s) { s.device = 2; }, [](FileStat& s) { s.inode = 11; },
      [](FileStat& s) { s.size = 14; }, [](FileStat& s) { s.mtime += absl::Nanoseconds(1); },
      [](FileStat& s) { s.ctime += absl::Nanoseconds(1); }};
  int reads = 1;
  for (const auto& change : changes) {
    change(a);
    fs_.SetStat(kRoot, "/etc/a", a);
    ASSERT_TRUE(Scrape(*collector).ok());
    EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/a"), ++reads);
    ASSERT_TRUE(Scrape(*collector).ok());
    EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/a"), reads);
  }
  EXPECT_EQ(fs_.chunk_reads(kRoot, "/etc/b"), 1);

  // Contents changed behind an unchanged stat would go unseen; with the
  // ctime bump a real write causes, the change is found.
  fs_.AddFile(kRoot, "/etc/a", "tampered with");
  ASSERT_TRUE(Scrape(*collector).ok());
  EXPECT_THAT(Get("strata_drift_files"), ::testing::Contains("baseline=etc,state=matching,: 2"));
  a.ctime += absl::Seconds(1);
  fs_.SetStat(kRoot, "/etc/a", a);
  ASSERT_TRUE(Scrape(*collector).ok());
  EXPECT_THAT(Get("strata_drift_files"), ::testing::Contains("baseline=etc,state=modified,: 1"));
}

TEST_F(DriftCollectorTest, BaselineProblemsFailOnlyThatBaseline) {
  fs_.AddFile(kRoot, "/etc/a", "a");
  fs_.AddFile(kRoot, "good", Sha("a") + "  /etc/a\n");
  fs_.AddFile(kRoot, "malformed", Sha("a") + "  /etc/a\nnot a checksum line\n");
  fs_.AddFile(kRoot, "big", "");
  FileStat big;
  big.size = kMaxBaselineBytes + 1;
  fs_.SetStat(kRoot, "big", big);
  DriftCollectorOptions options;
  options.files = {"good=good", "malformed=malformed", "absent=/etc/absent.sha256", "big=big"};
  auto collector = Make(options);
  absl::Status status = Scrape(*collector);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("file baseline malformed: /fake/root/malformed: line 2"));
  EXPECT_THAT(status.message(),
              HasSubstr("file baseline absent: stat /fake/root//etc/absent.sha256"));
  EXPECT_THAT(status.message(),
              HasSubstr("file baseline big: /fake/root/big: 4194305 bytes, more than the limit"));
  EXPECT_THAT(Get("strata_drift_files"), ::testing::Contains("baseline=good,state=matching,: 1"));
  EXPECT_EQ(Get("strata_drift_files").size(), 4u);
  EXPECT_EQ(fs_.chunk_reads(kRoot, "big"), 0);
}

constexpr char kStatus[] =
    "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n"
    "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n\n"
    "Package: libc6\nStatus: install ok installed\nMulti-Arch: same\nArchitecture: amd64\n"
    "Version: 2.36-9+deb12u10\n\n"
    "Package: extra\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n";

TEST_F(DriftCollectorTest, PackageStates) {
  fs_.AddFile(kRoot, kDpkgStatusPath, kStatus);
  fs_.AddFile(kRoot, "complete",
              "# complete\ndpkg\t1.21.22\nbash\t5.2.15-2\nlibc6:amd64\t2.36-9+deb12u10\n"
              "nginx\t1.22.1-9\n");
  fs_.AddFile(kRoot, "partial", "libc6:amd64\t2.36-9+deb12u10\n");
  DriftCollectorOptions options;
  options.packages = {"full=complete", "some=partial"};
  options.max_drifted_packages = 2;
  auto collector = Make(options);
  ASSERT_TRUE(Scrape(*collector).ok());
  EXPECT_EQ(Get("strata_drift_packages"),
            (std::vector<std::string>{
                "baseline=full,state=matching,: 2", "baseline=full,state=version_differs,: 1",
                "baseline=full,state=missing,: 1", "baseline=full,state=unexpected,: 1",
                "baseline=some,state=matching,: 1", "baseline=some,state=version_differs,: 0",
                "baseline=some,state=missing,: 0"}));
  EXPECT_EQ(Get("strata_drift_package_drifted"),
            (std::vector<std::string>{"baseline=full,package=bash,state=version_differs,"
                                      "expected_version=5.2.15-2,installed_version=5.2.15-2+b7,: 1",
                                      "baseline=full,package=extra,state=unexpected,"
                                      "expected_version=,installed_version=1,: 1"}));
  EXPECT_EQ(Get("strata_drift_package_drifted_omitted"),
            (std::vector<std::string>{"baseline=full,: 1", "baseline=some,: 0"}));
}

TEST_F(DriftCollectorTest, BrokenStatusDatabaseFailsThePackageBaselines) {
  fs_.AddFile(kRoot, "pk", "bash 1\n");
  DriftCollectorOptions options;
  options.packages = {"pk=pk"};
  auto collector = Make(options);
  absl::Status status = Scrape(*collector);
  EXPECT_THAT(status.message(), HasSubstr("dpkg status database: stat /fake/root/var/lib/dpkg"));
  EXPECT_THAT(status.message(), HasSubstr("need a Debian-based host"));

  std::string truncated = kStatus;
  truncated.resize(truncated.size() - 20);
  fs_.AddFile(kRoot, kDpkgStatusPath, truncated);
  status = Scrape(*collector);
  EXPECT_THAT(status.message(), HasSubstr("var/lib/dpkg/status: truncated"));
  EXPECT_TRUE(Get("strata_drift_packages").empty());
}

}  // namespace
}  // namespace strata
