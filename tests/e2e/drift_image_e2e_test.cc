// End-to-end tests of the drift and image collectors: baselines made by the
// real sha256sum and dpkg-query on this machine, files changed the ways
// drift happens (edited, deleted, locked away, replaced by a FIFO, a symlink
// loop, a directory), this machine's real dpkg database and os-release, and
// the exporter binary scraped over loopback.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// A private directory below /tmp, removed with everything in it at the end
// (permissions the test took away are given back first).
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "strata-drift-XXXXXX").string();
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(
             path_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0755);
    }
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void SetMtime(const fs::path& path, time_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

// Runs sha256sum in `root` on root-relative names, as an administrator would
// (`cd / && sha256sum etc/...`), writing its output to `baseline`.
void MakeSha256Baseline(const fs::path& root, const std::vector<std::string>& names,
                        const fs::path& baseline) {
  fs::create_directories(baseline.parent_path());
  std::vector<std::string> argv = {"sh",
                                   "-c",
                                   "cd \"$1\" && out=\"$2\" && shift 2 && "
                                   "exec sha256sum \"$@\" > \"$out\"",
                                   "sh",
                                   root.string(),
                                   baseline.string()};
  argv.insert(argv.end(), names.begin(), names.end());
  CommandResult result = RunCommand(argv);
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

// dpkg-query -W on this machine, as a package baseline.
std::string DpkgQuery() {
  CommandResult result = RunCommand({"dpkg-query", "-W"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

// name -> version of dpkg-query -W output.
std::map<std::string, std::string> Versions(const std::string& dpkg_query) {
  std::map<std::string, std::string> versions;
  for (absl::string_view line : absl::StrSplit(dpkg_query, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() == 2 && !fields[1].empty()) versions[fields[0]] = fields[1];
  }
  return versions;
}

// One exporter started with `args` on loopback; Scrape() fetches /metrics.
class Exporter {
 public:
  explicit Exporter(std::vector<std::string> args) {
    args.insert(args.begin(), "--web.listen-address=127.0.0.1:0");
    started_ = process_.Start(args);
  }
  ~Exporter() {
    if (started_) {
      process_.Signal(SIGTERM);
      process_.Wait(absl::Seconds(10));
    }
  }
  bool started() { return started_; }
  std::string Scrape() {
    HttpResult result = HttpGet(absl::StrCat("http://127.0.0.1:", process_.port(), "/metrics"));
    EXPECT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.status, 200);
    return result.body;
  }
  const std::string& log() { return process_.stderr_text(); }

 private:
  ExporterProcess process_;
  bool started_ = false;
};

std::optional<double> Files(const std::string& body, const std::string& baseline,
                            const std::string& state) {
  return SampleValue(
      body, absl::StrCat("strata_drift_files{baseline=\"", baseline, "\",state=\"", state, "\"}"));
}

std::optional<double> Packages(const std::string& body, const std::string& baseline,
                               const std::string& state) {
  return SampleValue(body, absl::StrCat("strata_drift_packages{baseline=\"", baseline,
                                        "\",state=\"", state, "\"}"));
}

std::string Success(const std::string& collector, int value) {
  return absl::StrCat("strata_scrape_collector_success{collector=\"", collector, "\"} ", value);
}

void ExpectPromtoolClean(const std::string& exposition) {
  CommandResult lint = RunCommand({STRATA_PROMTOOL, "check", "metrics"}, exposition);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
}

TEST(DriftFiles, EveryStateFromARealSha256sumBaseline) {
  TempDir tmp;
  const fs::path root = tmp.path() / "root";
  const fs::path app = root / "etc/app";
  const std::vector<std::string> names = {"etc/app/same.conf",          "etc/app/modified.conf",
                                          "etc/app/deleted.conf",       "etc/app/mode000.conf",
                                          "etc/app/locked/secret.conf", "etc/app/fifo.conf",
                                          "etc/app/loop.conf",          "etc/app/dir.conf",
                                          "etc/app/notdir/child.conf",  "etc/app/we\\ird\nname"};
  for (const std::string& name : names) WriteFile(root / name, "contents of " + name + "\n");
  MakeSha256Baseline(root, names, root / "var/lib/strata/app.sha256");
  // sha256sum escaped the odd name: the parser must undo that.
  EXPECT_THAT(ReadFile(root / "var/lib/strata/app.sha256"), HasSubstr("\n\\"));

  // Drift, each kind once.
  WriteFile(app / "modified.conf", "contents edited by hand\n");
  fs::remove(app / "deleted.conf");
  ASSERT_EQ(chmod((app / "mode000.conf").c_str(), 0), 0);
  ASSERT_EQ(chmod((app / "locked").c_str(), 0), 0);
  fs::remove(app / "fifo.conf");
  ASSERT_EQ(mkfifo((app / "fifo.conf").c_str(), 0644), 0);  // no writer: open would block
  fs::remove(app / "loop.conf");
  fs::create_symlink("loop2.conf", app / "loop.conf");
  fs::create_symlink("loop.conf", app / "loop2.conf");
  fs::remove(app / "dir.conf");
  fs::create_directory(app / "dir.conf");
  fs::remove_all(app / "notdir");
  WriteFile(app / "notdir", "a file where a directory was\n");  // child.conf: ENOTDIR

  Exporter exporter({"--collector.disable-defaults", "--collector.drift", "--collector.host",
                     "--path.rootfs=" + root.string(),
                     "--collector.drift.files=app=/var/lib/strata/app.sha256"});
  ASSERT_TRUE(exporter.started()) << exporter.log();
  const absl::Time start = absl::Now();
  const std::string body = exporter.Scrape();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "the FIFO must not hold the scrape";
  ExpectPromtoolClean(body);

  // Root reads through mode 000 (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
  // those two files only count as unreadable for an unprivileged exporter.
  const bool root_user = geteuid() == 0;
  EXPECT_THAT(Files(body, "app", "matching"), Optional(root_user ? 4.0 : 2.0)) << body;
  EXPECT_THAT(Files(body, "app", "modified"), Optional(1.0));
  EXPECT_THAT(Files(body, "app", "missing"), Optional(2.0));
  EXPECT_THAT(Files(body, "app", "unreadable"), Optional(root_user ? 3.0 : 5.0));
  auto drifted = [&](const std::string& path, const std::string& state) {
    return SampleValue(body, absl::StrCat("strata_drift_file_drifted{baseline=\"app\",path=\"",
                                          path, "\",state=\"", state, "\"}"));
  };
  EXPECT_THAT(drifted("/etc/app/modified.conf", "modified"), Optional(1.0));
  EXPECT_THAT(drifted("/etc/app/deleted.conf", "missing"), Optional(1.0));
  EXPECT_THAT(drifted("/etc/app/notdir/child.conf", "missing"), Optional(1.0));
  EXPECT_THAT(drifted("/etc/app/fifo.conf", "unreadable"), Optional(1.0));
  EXPECT_THAT(drifted("/etc/app/loop.conf", "unreadable"), Optional(1.0));
  EXPECT_THAT(drifted("/etc/app/dir.conf", "unreadable"), Optional(1.0));
  EXPECT_EQ(drifted("/etc/app/same.conf", "matching"), std::nullopt);
  EXPECT_THAT(SampleValue(body, "strata_drift_file_drifted_omitted{baseline=\"app\"}"),
              Optional(0.0));
  // Unreadable files fail the collector, with every other collector fine.
  EXPECT_THAT(body, HasSubstr(Success("drift", 0)));
  EXPECT_THAT(body, HasSubstr(Success("host", 1)));
  EXPECT_THAT(exporter.log(), HasSubstr("could not be hashed"));
  EXPECT_THAT(exporter.log(), HasSubstr("Too many levels of symbolic links"));
}

TEST(DriftFiles, HashesAgainOnlyWhenStatChanges) {
  TempDir tmp;
  const fs::path root = tmp.path() / "root";
  WriteFile(root / "etc/a.conf", "listen 80\n");
  // Larger than the 16 MiB HostFs::ReadFile limit: hashing streams it.
  WriteFile(root / "opt/big.img", std::string((20 << 20) + 7, 'x'));
  MakeSha256Baseline(root, {"etc/a.conf", "opt/big.img"}, root / "base/sums");
  const double total_bytes = 10 + (20 << 20) + 7;

  Exporter exporter({"--collector.disable-defaults", "--collector.drift",
                     "--path.rootfs=" + root.string(), "--collector.drift.files=b=/base/sums"});
  ASSERT_TRUE(exporter.started()) << exporter.log();
  std::string body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr(Success("drift", 1)));
  EXPECT_THAT(Files(body, "b", "matching"), Optional(2.0)) << body;
  EXPECT_THAT(SampleValue(body, "strata_drift_file_hashes_total"), Optional(2.0));
  EXPECT_THAT(SampleValue(body, "strata_drift_hashed_bytes_total"), Optional(total_bytes));

  body = exporter.Scrape();
  EXPECT_THAT(SampleValue(body, "strata_drift_file_hashes_total"), Optional(2.0));

  // A new mtime alone: hashed again, still matching.
  SetMtime(root / "etc/a.conf", 1700000000);
  body = exporter.Scrape();
  EXPECT_THAT(SampleValue(body, "strata_drift_file_hashes_total"), Optional(3.0));
  EXPECT_THAT(Files(body, "b", "matching"), Optional(2.0));

  // Same size, mtime put back: only the ctime tells, and it is enough.
  WriteFile(root / "etc/a.conf", "listen 81\n");
  SetMtime(root / "etc/a.conf", 1700000000);
  body = exporter.Scrape();
  EXPECT_THAT(SampleValue(body, "strata_drift_file_hashes_total"), Optional(4.0));
  EXPECT_THAT(Files(body, "b", "modified"), Optional(1.0));
  EXPECT_THAT(SampleValue(body, "strata_drift_hashed_bytes_total"), Optional(total_bytes + 20));
}

TEST(DriftPackages, ThisMachinesDpkgQueryMatchesItsDatabase) {
  TempDir tmp;
  const std::string listed = DpkgQuery();
  const double count = static_cast<double>(Versions(listed).size());
  ASSERT_GT(count, 100);
  WriteFile(tmp.path() / "complete", "# complete\n" + listed);
  WriteFile(tmp.path() / "plain", listed);
  Exporter exporter({"--collector.disable-defaults", "--collector.drift", "--path.rootfs=/",
                     "--collector.drift.packages=complete=" + (tmp.path() / "complete").string(),
                     "--collector.drift.packages=plain=" + (tmp.path() / "plain").string()});
  ASSERT_TRUE(exporter.started()) << exporter.log();
  const std::string body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr(Success("drift", 1))) << exporter.log();
  for (const char* baseline : {"complete", "plain"}) {
    EXPECT_THAT(Packages(body, baseline, "matching"), Optional(count)) << body;
    EXPECT_THAT(Packages(body, baseline, "version_differs"), Optional(0.0));
    EXPECT_THAT(Packages(body, baseline, "missing"), Optional(0.0));
  }
  EXPECT_THAT(Packages(body, "complete", "unexpected"), Optional(0.0));
  EXPECT_EQ(Packages(body, "plain", "unexpected"), std::nullopt);
  EXPECT_THAT(body, Not(HasSubstr("strata_drift_package_drifted{")));
}

TEST(DriftPackages, EditedDatabaseShowsEachDrift) {
  TempDir tmp;
  const fs::path root = tmp.path() / "root";
  const std::string listed = DpkgQuery();
  const std::map<std::string, std::string> versions = Versions(listed);
  std::string libc6;  // "libc6:amd64" on amd64: Multi-Arch: same
  for (const auto& [name, version] : versions) {
    if (absl::StartsWith(name, "libc6:")) libc6 = name;
  }
  ASSERT_FALSE(libc6.empty()) << listed;
  ASSERT_TRUE(versions.count("bash"));

  // This machine's database, with bash at another version, libc6 removed and
  // a package added.
  std::vector<std::string> stanzas =
      absl::StrSplit(ReadFile("/var/lib/dpkg/status"), "\n\n", absl::SkipEmpty());
  std::vector<std::string> edited;
  for (std::string& stanza : stanzas) {
    if (absl::StartsWith(stanza, "Package: libc6\n")) continue;
    if (absl::StartsWith(stanza, "Package: bash\n")) {
      stanza = absl::StrReplaceAll(
          stanza, {{"\nVersion: " + versions.at("bash") + "\n", "\nVersion: 0.0-strata1\n"}});
      ASSERT_THAT(stanza, HasSubstr("0.0-strata1"));
    }
    edited.push_back(stanza);
  }
  edited.push_back(
      "Package: strata-test-added\nStatus: install ok installed\nPriority: optional\n"
      "Architecture: all\nVersion: 1.0-1\nDescription: added by the drift test");
  WriteFile(root / "var/lib/dpkg/status", absl::StrJoin(edited, "\n\n") + "\n\n");
  WriteFile(root / "etc/strata/packages", "# complete\n" + listed);

  Exporter exporter({"--collector.disable-defaults", "--collector.drift",
                     "--path.rootfs=" + root.string(),
                     "--collector.drift.packages=golden=/etc/strata/packages"});
  ASSERT_TRUE(exporter.started()) << exporter.log();
  const std::string body = exporter.Scrape();
  ExpectPromtoolClean(body);
  EXPECT_THAT(body, HasSubstr(Success("drift", 1))) << exporter.log();
  EXPECT_THAT(Packages(body, "golden", "matching"),
              Optional(static_cast<double>(versions.size() - 2)));
  EXPECT_THAT(Packages(body, "golden", "version_differs"), Optional(1.0));
  EXPECT_THAT(Packages(body, "golden", "missing"), Optional(1.0));
  EXPECT_THAT(Packages(body, "golden", "unexpected"), Optional(1.0));
  auto drifted = [&](const std::string& package, const std::string& state,
                     const std::string& expected, const std::string& installed) {
    return SampleValue(
        body, absl::StrCat("strata_drift_package_drifted{baseline=\"golden\",package=\"", package,
                           "\",state=\"", state, "\",expected_version=\"", expected,
                           "\",installed_version=\"", installed, "\"}"));
  };
  EXPECT_THAT(drifted("bash", "version_differs", versions.at("bash"), "0.0-strata1"), Optional(1.0))
      << body;
  EXPECT_THAT(drifted(libc6, "missing", versions.at(libc6), ""), Optional(1.0));
  EXPECT_THAT(drifted("strata-test-added", "unexpected", "", "1.0-1"), Optional(1.0));
}

TEST(DriftBadInput, ClearErrorsFailTheCollectorAndNothingElse) {
  TempDir tmp;
  const fs::path root = tmp.path() / "root";
  WriteFile(root / "etc/a.conf", "a\n");
  MakeSha256Baseline(root, {"etc/a.conf"}, root / "base/good");
  WriteFile(root / "base/malformed",
            ReadFile(root / "base/good") + "d41d8cd98f00b204e9800998ecf8427e  /etc/md5sum-line\n");
  std::string big = ReadFile(root / "base/good");
  while (big.size() <= (4 << 20)) big += "# padding to go over the baseline size limit\n";
  WriteFile(root / "base/big", big);
  // A dpkg database of its own, cut at the end of a line in the middle of a
  // stanza: every line complete, the stanza not (this machine's database,
  // cut at a byte count, could end anywhere).
  const std::string status =
      "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n\n"
      "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2\n";
  WriteFile(root / "var/lib/dpkg/status", status);
  WriteFile(root / "base/packages", DpkgQuery());
  WriteFile(root / "etc/os-release", "ID=debian\nVERSION_ID=12\n");

  Exporter exporter(
      {"--collector.disable-defaults", "--collector.drift", "--collector.image", "--collector.host",
       "--path.rootfs=" + root.string(), "--collector.drift.files=good=/base/good",
       "--collector.drift.files=malformed=/base/malformed", "--collector.drift.files=big=/base/big",
       "--collector.drift.files=absent=/base/absent",
       "--collector.drift.packages=pk=/base/packages"});
  ASSERT_TRUE(exporter.started()) << exporter.log();
  const std::string body = exporter.Scrape();
  ExpectPromtoolClean(body);
  EXPECT_THAT(body, HasSubstr(Success("drift", 0)));
  EXPECT_THAT(body, HasSubstr(Success("image", 1)));
  EXPECT_THAT(body, HasSubstr(Success("host", 1)));
  // The good baseline is still reported; the broken ones have no series.
  EXPECT_THAT(Files(body, "good", "matching"), Optional(1.0));
  EXPECT_EQ(Files(body, "malformed", "matching"), std::nullopt);
  EXPECT_EQ(Packages(body, "pk", "matching"), std::nullopt);
  const std::string& log = exporter.log();
  EXPECT_THAT(log,
              HasSubstr("file baseline malformed: " + (root / "base/malformed").string() +
                        ": line 2: \\\"d41d8cd98f00b204e9800998ecf8427e\\\" is not a SHA-256"));
  EXPECT_THAT(log, HasSubstr("file baseline big: " + (root / "base/big").string()));
  EXPECT_THAT(log, HasSubstr("more than the limit of 4194304"));
  EXPECT_THAT(log, HasSubstr("file baseline absent: stat " + (root / "base/absent").string() +
                             ": No such file or directory"));
  EXPECT_THAT(log, HasSubstr("dpkg status database: " + (root / "var/lib/dpkg/status").string() +
                             ": truncated"));
}

TEST(DriftBadInput, BadBaselineFlagIsOneLineAndExit2) {
  ExporterProcess exporter;
  EXPECT_EQ(exporter.RunToExit({"--collector.drift.files=/etc/sums"}), 2);
  const std::string err = exporter.stderr_text();
  EXPECT_THAT(err, HasSubstr("--collector.drift.files"));
  EXPECT_THAT(err, HasSubstr("is not NAME=PATH"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// The labels strata_image_info should have, computed by the shell sourcing
// the file as os-release(5) intends.
std::string ExpectedImageInfo(const std::vector<fs::path>& files) {
  std::string script;
  for (const fs::path& file : files) absl::StrAppend(&script, ". '", file.string(), "'; ");
  script +=
      "printf 'strata_image_info{image_id=\"%s\",image_version=\"%s\",build_id=\"%s\","
      "os_id=\"%s\",os_version=\"%s\"} 1' \"$IMAGE_ID\" \"$IMAGE_VERSION\" \"$BUILD_ID\" "
      "\"$ID\" \"$VERSION_ID\"";
  CommandResult result = RunCommand({"sh", "-c", script});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

TEST(Image, ThisMachinesOsRelease) {
  Exporter exporter({"--collector.disable-defaults", "--collector.image", "--path.rootfs=/"});
  ASSERT_TRUE(exporter.started()) << exporter.log();
  const std::string body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr(Success("image", 1)));
  const std::string want = ExpectedImageInfo({"/etc/os-release"});
  EXPECT_THAT(want, HasSubstr("os_id=\"debian\""));
  EXPECT_THAT(body, HasSubstr(want + "\n"));
  EXPECT_THAT(body, Not(HasSubstr("strata_image_build_timestamp_seconds ")));
}

TEST(Image, GoldenImageOsReleaseAndPackerStamp) {
  TempDir tmp;
  const fs::path root = tmp.path() / "root";
  // Quoted the ways os-release(5) allows; the shell is the oracle.
  WriteFile(root / "etc/os-release",
            "PRETTY_NAME=\"Strata web image (\\\"golden\\\")\"\nNAME='Debian GNU/Linux'\n"
            "ID=debian\nVERSION_ID=\"12\"\nIMAGE_ID='web-base'\nIMAGE_VERSION=\"2024.05.1\"\n"
            "BUILD_ID=build\\ 42\n");
  const fs::path stamp = root / "etc/strata/image-stamp";
  Exporter exporter({"--collector.disable-defaults", "--collector.image",
                     "--path.rootfs=" + root.string(),
                     "--collector.image.stamp-file=/etc/strata/image-stamp"});
  ASSERT_TRUE(exporter.started()) << exporter.log();

  // No stamp yet (a host built before stamping): os-release alone, no time.
  std::string body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr(Success("image", 1)));
  EXPECT_THAT(body, HasSubstr(ExpectedImageInfo({root / "etc/os-release"}) + "\n"));
  EXPECT_THAT(body, HasSubstr("image_version=\"2024.05.1\",build_id=\"build 42\""));
  EXPECT_THAT(body, Not(HasSubstr("strata_image_build_timestamp_seconds ")));

  // Packer's stamp: its keys override, its BUILD_TIMESTAMP is the build time.
  WriteFile(stamp,
            "# written by packer\nIMAGE_VERSION=\"2024.06.0\"\nBUILD_ID=packer-1717\n"
            "BUILD_TIMESTAMP=2024-06-01T10:00:00Z\n");
  body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr(Success("image", 1)));
  EXPECT_THAT(body, HasSubstr("strata_image_info{image_id=\"web-base\",image_version=\"2024.06.0\","
                              "build_id=\"packer-1717\",os_id=\"debian\",os_version=\"12\"} 1\n"));
  EXPECT_THAT(SampleValue(body, "strata_image_build_timestamp_seconds"), Optional(1717236000.0));

  // Without BUILD_TIMESTAMP the stamp's mtime is the build time.
  WriteFile(stamp, "IMAGE_VERSION=2024.07.0\nBUILD_TIMESTAMP=1720000000\n");
  body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr("image_version=\"2024.07.0\""));
  EXPECT_THAT(SampleValue(body, "strata_image_build_timestamp_seconds"), Optional(1720000000.0));
  WriteFile(stamp, "IMAGE_VERSION=2024.08.0\n");
  SetMtime(stamp, 1722470400);
  body = exporter.Scrape();
  EXPECT_THAT(body, HasSubstr("image_version=\"2024.08.0\""));
  EXPECT_THAT(SampleValue(body, "strata_image_build_timestamp_seconds"), Optional(1722470400.0));
  ExpectPromtoolClean(body);
}

TEST(Image, FallbackAbsenceAndUnbalancedQuotes) {
  TempDir tmp;
  const fs::path root = tmp.path() / "root";
  fs::create_directories(root);
  {
    Exporter exporter(
        {"--collector.disable-defaults", "--collector.image", "--path.rootfs=" + root.string()});
    ASSERT_TRUE(exporter.started()) << exporter.log();
    const std::string body = exporter.Scrape();
    EXPECT_THAT(body, HasSubstr(Success("image", 1)));
    EXPECT_THAT(body, Not(HasSubstr("strata_image_info{")));
  }
  WriteFile(root / "usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  {
    Exporter exporter(
        {"--collector.disable-defaults", "--collector.image", "--path.rootfs=" + root.string()});
    ASSERT_TRUE(exporter.started()) << exporter.log();
    EXPECT_THAT(exporter.Scrape(),
                HasSubstr("strata_image_info{image_id=\"\",image_version=\"\",build_id=\"\","
                          "os_id=\"debian\",os_version=\"12\"} 1\n"));
  }
  WriteFile(root / "etc/os-release", "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12\n");
  {
    Exporter exporter({"--collector.disable-defaults", "--collector.image", "--collector.host",
                       "--path.rootfs=" + root.string()});
    ASSERT_TRUE(exporter.started()) << exporter.log();
    const std::string body = exporter.Scrape();
    EXPECT_THAT(body, HasSubstr(Success("image", 0)));
    EXPECT_THAT(body, HasSubstr(Success("host", 1)));
    EXPECT_THAT(exporter.log(), HasSubstr((root / "etc/os-release").string() +
                                          ": line 2: PRETTY_NAME: unbalanced double quote"));
  }
}

}  // namespace
}  // namespace strata::testing
