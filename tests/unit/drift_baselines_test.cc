#include "collectors/drift/drift_baselines.h"

#include "collectors/drift/drift_hasher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fake_host_fs.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

const std::string kA(64, 'a');
const std::string kB(64, 'b');

std::vector<std::pair<std::string, std::string>> Pairs(
    const std::vector<FileBaselineEntry>& entries) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : entries) out.push_back({e.path, e.sha256});
  return out;
}

TEST(ParseNamedBaseline, SplitsAtTheFirstEquals) {
  absl::StatusOr<NamedBaseline> b = ParseNamedBaseline("ssh=/etc/strata/a=b.sha256");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->name, "ssh");
  EXPECT_EQ(b->path, "/etc/strata/a=b.sha256");
}

TEST(ParseNamedBaseline, RejectsWhatIsNotNameEqualsPath) {
  for (const char* bad : {"", "ssh", "=/x", "ssh=", "s h=/x", "ssh\"=/x", "ä=/x"}) {
    absl::StatusOr<NamedBaseline> b = ParseNamedBaseline(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(b.status())) << bad;
  }
}

struct Sha256Case {
  std::string name;
  std::string text;
  std::vector<std::pair<std::string, std::string>> want;
};

TEST(ParseSha256Baseline, ReadsEverythingSha256sumWrites) {
  const std::vector<Sha256Case> cases = {
      {"text mode", kA + "  /etc/ssh/sshd_config\n", {{"/etc/ssh/sshd_config", kA}}},
      {"binary mode", kA + " */bin/ls\n", {{"/bin/ls", kA}}},
      {"no final newline", kA + "  /x", {{"/x", kA}}},
      {"upper case digest", std::string(64, 'A') + "  /x\n", {{"/x", kA}}},
      {"spaces in the name", kA + "  /etc/my file  \n", {{"/etc/my file  ", kA}}},
      {"relative names are below /",
       kA + "  etc/hosts\n" + kB + "  ./etc/fstab\n",
       {{"/etc/fstab", kB}, {"/etc/hosts", kA}}},
      {"dot-dot stays below /", kA + "  ../../etc/a/../hosts\n", {{"/etc/hosts", kA}}},
      {"escaped backslash, newline, carriage return",
       "\\" + kA + "  /a\\\\b\\nc\\rd\n",
       {{"/a\\b\nc\rd", kA}}},
      {"unescaped backslash in a plain line is literal", kA + "  /a\\b\n", {{"/a\\b", kA}}},
      {"tag form", "SHA256 (/etc/hosts) = " + kA + "\n", {{"/etc/hosts", kA}}},
      {"escaped tag form", "\\SHA256 (/a\\nb) = " + kA + "\n", {{"/a\nb", kA}}},
      {"comments and blank lines", "# made by hand\n\n" + kA + "  /x\n\n", {{"/x", kA}}},
      {"same line twice counts once", kA + "  /x\n" + kA + "  x\n", {{"/x", kA}}},
      {"empty file", "", {}},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::vector<FileBaselineEntry>> got = ParseSha256Baseline(c.text);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(Pairs(*got), c.want) << c.name;
  }
}

TEST(ParseSha256Baseline, MalformedLinesAreErrorsNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kA + "  /ok\n" + std::string(32, 'a') + "  /md5\n", "line 2"},
      {kA + "\n", "line 1"},
      {kA + " /one-space\n", "line 1"},
      {kA + "  \n", "empty"},
      {std::string(63, 'a') + "g  /x\n", "not a SHA-256 digest"},
      {"\\" + kA + "  /a\\tb\n", "unknown escape"},
      {"\\" + kA + "  /a\\\n", "lone backslash"},
      {kA + "  -\n", "standard input"},
      {kA + "  /\n", "root directory"},
      {kA + "  /x\n" + kB + "  /x\n", "different digests"},
      {"SHA256 (/x) " + kA + "\n", "line 1"},
      {"MD5 (/x) = " + std::string(32, 'a') + "\n", "line 1"},
      {kA + "  /x" + std::string(1, '\0'), "NUL"},
      {"garbage\n", "line 1"},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<std::vector<FileBaselineEntry>> got = ParseSha256Baseline(text);
    ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << text;
    EXPECT_THAT(got.status().message(), HasSubstr(want)) << text;
  }
}

TEST(ParsePackageBaseline, ReadsDpkgQueryOutput) {
  absl::StatusOr<PackageBaseline> b = ParsePackageBaseline(
      "adduser\t3.134\nlibc6:amd64\t2.36-9+deb12u10\nbsdutils  1:2.38.1-5+deb12u3\n"
      "purged\t\n\n# a comment\n");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->complete);
  EXPECT_EQ(b->packages,
            (std::vector<std::pair<std::string, std::string>>{{"adduser", "3.134"},
                                                              {"bsdutils", "1:2.38.1-5+deb12u3"},
                                                              {"libc6:amd64", "2.36-9+deb12u10"}}));
}

TEST(ParsePackageBaseline, CompleteMarker) {
  for (const char* text : {"# complete\naa 1\n", "aa 1\n#complete\n", "#   complete  \n"}) {
    absl::StatusOr<PackageBaseline> b = ParsePackageBaseline(text);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_TRUE(b->complete) << text;
  }
  absl::StatusOr<PackageBaseline> b = ParsePackageBaseline("# not complete\naa 1\n");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->complete);
}

TEST(ParsePackageBaseline, MalformedLinesAreErrorsNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"aa 1\nbash 5.2 ii\n", "line 2"},
      {"Bash 5.2\n", "not a Debian package name"},
      {"b 5.2\n", "not a Debian package name"},
      {"-bash 5.2\n", "not a Debian package name"},
      {"bash:AMD64 5.2\n", "not a Debian package name"},
      {"bash: 5.2\n", "not a Debian package name"},
      {"bash 5.2\nbash 5.1\n", "line 2: bash is listed twice"},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<PackageBaseline> got = ParsePackageBaseline(text);
    ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << text;
    EXPECT_THAT(got.status().message(), HasSubstr(want)) << text;
  }
}

constexpr char kStatus[] =
    "Package: dpkg\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 1.21.22\n"
    "Description: Debian package management system\n"
    " This package provides the low-level infrastructure.\n"
    "\n"
    "Package: libc6\n"
    "Status: install ok installed\n"
    "Multi-Arch: same\n"
    "Architecture: amd64\n"
    "Version: 2.36-9+deb12u10\n"
    "\n"
    "Package: libc6\n"
    "Status: install ok installed\n"
    "Multi-Arch: same\n"
    "Architecture: i386\n"
    "Version: 2.36-9+deb12u10\n"
    "\n"
    "Package: zlib1g\n"
    "Status: hold ok installed\n"
    "Architecture: i386\n"
    "Version: 1:1.2.13\n"
    "\n"
    "Package: adduser\n"
    "Status: install ok installed\n"
    "Architecture: all\n"
    "Version: 3.134\n"
    "\n"
    "Package: gone\n"
    "Status: deinstall ok config-files\n"
    "Architecture: amd64\n"
    "Version: 1.0\n"
    "\n"
    "Package: purged\n"
    "Status: purge ok not-installed\n"
    "Architecture: amd64\n"
    "\n";

std::vector<std::string> Names(const std::vector<InstalledPackage>& packages) {
  std::vector<std::string> names;
  for (const auto& p : packages) names.push_back(p.name + "=" + p.version);
  return names;
}

TEST(ParseDpkgStatus, NamesPackagesAsDpkgQueryDoes) {
  absl::StatusOr<std::vector<InstalledPackage>> got = ParseDpkgStatus(kStatus);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Names(*got), (std::vector<std::string>{
                             "adduser=3.134", "dpkg=1.21.22", "libc6:amd64=2.36-9+deb12u10",
                             "libc6:i386=2.36-9+deb12u10", "zlib1g:i386=1:1.2.13"}));
}

TEST(ParseDpkgStatus, EmptyDatabaseHasNoPackages) {
  absl::StatusOr<std::vector<InstalledPackage>> got = ParseDpkgStatus("");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TEST(ParseDpkgStatus, TruncatedOrMalformedDatabasesAreErrors) {
  const std::string full = kStatus;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {full.substr(0, full.size() - 30), "truncated"},
      // Cut at the end of a line: complete lines, but no closing blank line.
      {full.substr(0, full.find("Version: 3.134\n") + 15), "truncated: the last stanza"},
      {"Package: a\nStatus: install ok installed\nVersion: 1\n", "truncated: the last stanza"},
      {"Package: a\nStatus: install ok installed\n\n", "a is installed but has no Version"},
      {"Package: a\n\n", "a has no Status"},
      {"Status: install ok installed\nVersion: 1\n\n", "line 1: stanza has no Package"},
      {"Package: a\nnot a field\n\n", "line 2"},
      {" continuation\n\n", "line 1"},
      {"Package: a\nStatus: installed\nVersion: 1\n\n", "is not \"<want> <flag> <status>\""},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<std::vector<InstalledPackage>> got = ParseDpkgStatus(text);
    ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << text;
    EXPECT_THAT(got.status().message(), HasSubstr(want)) << text;
  }
}

TEST(ComparePackages, CountsEveryStateAndListsDriftSorted) {
  absl::StatusOr<std::vector<InstalledPackage>> installed = ParseDpkgStatus(kStatus);
  ASSERT_TRUE(installed.ok());
  PackageBaseline baseline;
  baseline.complete = true;
  baseline.packages = {{"adduser", "3.134"},
                       {"dpkg", "1.21.0"},
                       {"libc6:amd64", "2.36-9+deb12u10"},
                       {"nginx", "1.22"}};
  PackageComparison c = ComparePackages(baseline, *installed);
  EXPECT_EQ(c.matching, 2);
  EXPECT_EQ(c.version_differs, 1);
  EXPECT_EQ(c.missing, 1);
  EXPECT_EQ(c.unexpected, 2);  // libc6:i386, zlib1g:i386
  ASSERT_EQ(c.drifted.size(), 4u);
  EXPECT_EQ(c.drifted[0].package, "dpkg");
  EXPECT_EQ(c.drifted[0].state, "version_differs");
  EXPECT_EQ(c.drifted[0].expected_version, "1.21.0");
  EXPECT_EQ(c.drifted[0].installed_version, "1.21.22");
  EXPECT_EQ(c.drifted[1].package, "libc6:i386");
  EXPECT_EQ(c.drifted[1].state, "unexpected");
  EXPECT_EQ(c.drifted[2].package, "nginx");
  EXPECT_EQ(c.drifted[2].state, "missing");
  EXPECT_EQ(c.drifted[2].installed_version, "");
  EXPECT_EQ(c.drifted[3].package, "zlib1g:i386");

  baseline.complete = false;
  c = ComparePackages(baseline, *installed);
  EXPECT_EQ(c.unexpected, 0);
  EXPECT_EQ(c.drifted.size(), 2u);
}

TEST(ComparePackages, QualifiedAndBareNamesMatchEachOther) {
  absl::StatusOr<std::vector<InstalledPackage>> installed = ParseDpkgStatus(kStatus);
  ASSERT_TRUE(installed.ok());
  PackageBaseline baseline;
  // ${Package} instead of ${binary:Package}: "zlib1g" (one arch installed),
  // and an arch-qualified name for a package dpkg-query prints bare.
  baseline.packages = {{"zlib1g", "1:1.2.13"}, {"dpkg:amd64", "1.21.22"}, {"libc6", "x"}};
  PackageComparison c = ComparePackages(baseline, *installed);
  EXPECT_EQ(c.matching, 2);
  // Two architectures of libc6 are installed: a bare name cannot pick one.
  EXPECT_EQ(c.missing, 1);
}

// FIPS 180-2's vectors, the last one handed over in many small chunks.
TEST(Sha256HexOfFile, KnownVectors) {
  testing::FakeHostFs fs;
  fs.set_chunk_size(4096);
  fs.AddFile(HostRoot::kRootfs, "empty", "");
  fs.AddFile(HostRoot::kRootfs, "abc", "abc");
  fs.AddFile(HostRoot::kRootfs, "million", std::string(1000000, 'a'));
  uint64_t bytes = 0;
  EXPECT_EQ(*Sha256HexOfFile(fs, HostRoot::kRootfs, "empty", &bytes),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(*Sha256HexOfFile(fs, HostRoot::kRootfs, "abc", nullptr),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(*Sha256HexOfFile(fs, HostRoot::kRootfs, "million", &bytes),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(bytes, 1000000u);
}

}  // namespace
}  // namespace strata
