// Pure parsers of the drift collector's inputs: sha256sum baselines, package
// baselines (dpkg-query -W output), dpkg's status database and the
// NAME=PATH flag values; and the comparison of packages with a baseline.
// Every function is a pure function of its arguments and thread-compatible.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// One value of --collector.drift.files or --collector.drift.packages.
struct NamedBaseline {
  std::string name;  // the baseline label: letters, digits, '_', '-', '.'
  std::string path;  // below --path.rootfs
};

// Splits "NAME=PATH". InvalidArgument, saying what is wrong, when NAME is
// empty or has other characters than letters, digits, '_', '-' and '.', or
// when PATH is empty.
absl::StatusOr<NamedBaseline> ParseNamedBaseline(absl::string_view flag_value);

// One line of a sha256sum baseline.
struct FileBaselineEntry {
  std::string path;    // absolute and lexically normalised: "/etc/ssh/sshd_config"
  std::string sha256;  // 64 lowercase hex digits
};

// Parses what `sha256sum FILE...` prints: "<64 hex>  <name>" (text mode),
// "<64 hex> *<name>" (binary mode), or the --tag form "SHA256 (<name>) =
// <64 hex>"; a line that starts with '\' has "\\", "\n" and "\r" escaped in
// the name, as coreutils writes names holding those characters. Blank lines
// and lines starting with '#' are skipped. Relative names are taken relative
// to "/" (as if sha256sum had run there) and "." and ".." are resolved
// lexically, never above "/". A name listed twice with the same digest counts
// once. InvalidArgument naming the line for anything else: another digest
// length (md5sum output), a bad escape, "-" (standard input), a name listed
// twice with different digests, a NUL byte (--zero output).
absl::StatusOr<std::vector<FileBaselineEntry>> ParseSha256Baseline(absl::string_view text);

// A package baseline: what `dpkg-query -W` prints.
struct PackageBaseline {
  // The file has a comment line "# complete": every package the host should
  // have is listed, so installed packages not in it are "unexpected".
  bool complete = false;
  // name (as dpkg-query -W prints it, maybe with ":arch") -> version, sorted by name.
  std::vector<std::pair<std::string, std::string>> packages;
};

// Lines "name version" separated by a tab (dpkg-query -W) or spaces; blank
// lines and '#' comments are skipped, and "# complete" marks the baseline
// complete. A name with no version (dpkg-query -W prints "name\t" for a
// package it knows but that is not installed) is not part of the baseline.
// InvalidArgument naming the line for more than two fields, a name that is
// not a Debian package name (lowercase letters, digits, '+', '-', '.',
// optionally ":arch"), or a name listed twice with different versions.
absl::StatusOr<PackageBaseline> ParsePackageBaseline(absl::string_view text);

// A package dpkg considers installed.
struct InstalledPackage {
  std::string name;     // as dpkg-query -W prints it: "libc6:amd64" for Multi-Arch: same
  std::string package;  // the Package field: "libc6"
  std::string architecture;
  std::string version;
};

// Parses /var/lib/dpkg/status and returns the packages whose Status is
// "<want> <flag> installed" (want install or hold), named as dpkg-query -W
// names them: with ":<arch>" when the package is Multi-Arch: same or of a
// foreign architecture (the native one is dpkg's own). Sorted by name.
// InvalidArgument naming the line for a truncated database (not ending in
// the blank line dpkg writes after every stanza), a line that is no "Field: value" nor a
// continuation, and a stanza without Package or Status, or installed without Version.
absl::StatusOr<std::vector<InstalledPackage>> ParseDpkgStatus(absl::string_view text);

struct PackageDrift {
  std::string package;
  std::string state;  // version_differs, missing, unexpected
  std::string expected_version;
  std::string installed_version;
};

struct PackageComparison {
  int matching = 0;
  int version_differs = 0;
  int missing = 0;
  int unexpected = 0;                 // counted only for a complete baseline
  std::vector<PackageDrift> drifted;  // sorted by package name
};

// Compares a baseline with the installed packages. A baseline name matches
// the installed package of the same dpkg-query name; failing that, "name"
// matches "name:arch" when only one architecture of it is installed, and
// "name:arch" matches an unqualified "name" (a baseline made with
// ${Package} instead of ${binary:Package}).
PackageComparison ComparePackages(const PackageBaseline& baseline,
                                  const std::vector<InstalledPackage>& installed);

}  // namespace strata
