#include "collectors/drift/drift_baselines.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

absl::Status LineError(size_t line_number, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", what));
}

bool IsBaselineNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

bool IsLowerHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
}

// "/a/./b/../c" -> "/a/c"; relative names are taken from "/"; ".." stops at "/".
std::string NormalizePath(absl::string_view name) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

// Undoes the escaping sha256sum applies to names with '\', '\n' or '\r'.
absl::StatusOr<std::string> UnescapeName(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '\\') {
      out += name[i];
      continue;
    }
    if (i + 1 == name.size()) return absl::InvalidArgumentError("name ends in a lone backslash");
    switch (name[++i]) {
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("unknown escape \"\\", name.substr(i, 1), "\" in the name"));
    }
  }
  return out;
}

// Debian policy 5.6.1: lowercase letters, digits, '+', '-', '.'; at least two
// characters, starting with a letter or digit. dpkg-query may add ":arch".
bool IsDebianPackageName(absl::string_view name) {
  absl::string_view arch;
  if (size_t colon = name.find(':'); colon != absl::string_view::npos) {
    arch = name.substr(colon + 1);
    name = name.substr(0, colon);
    if (arch.empty() || !std::all_of(arch.begin(), arch.end(), [](char c) {
          return absl::ascii_islower(static_cast<unsigned char>(c)) ||
                 absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-';
        })) {
      return false;
    }
  }
  if (name.size() < 2 || !absl::ascii_isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

}  // namespace

absl::StatusOr<NamedBaseline> ParseNamedBaseline(absl::string_view flag_value) {
  size_t eq = flag_value.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", flag_value, "\" is not NAME=PATH (e.g. ssh=/etc/strata/ssh.sha256)"));
  }
  NamedBaseline out{std::string(flag_value.substr(0, eq)), std::string(flag_value.substr(eq + 1))};
  if (out.name.empty() || !std::all_of(out.name.begin(), out.name.end(), IsBaselineNameChar)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", flag_value, "\": NAME must be letters, digits, '_', '-' or '.', and not empty"));
  }
  if (out.path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", flag_value, "\": PATH is empty"));
  }
  return out;
}

absl::StatusOr<std::vector<FileBaselineEntry>> ParseSha256Baseline(absl::string_view text) {
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "holds a NUL byte (sha256sum --zero output is not supported; write one name a line)");
  }
  std::map<std::string, std::string> digests;  // path -> digest, sorted by path
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty() || line[0] == '#') continue;
    const bool escaped = absl::ConsumePrefix(&line, "\\");
    absl::string_view digest;
    absl::string_view name;
    if (absl::ConsumePrefix(&line, "SHA256 (")) {
      // --tag: "SHA256 (name) = digest"; the name may hold ") = " itself.
      size_t close = line.rfind(") = ");
      if (close == absl::string_view::npos) {
        return LineError(line_number, "expected \"SHA256 (<name>) = <64 hex digits>\"");
      }
      name = line.substr(0, close);
      digest = line.substr(close + 4);
    } else {
      size_t space = line.find(' ');
      if (space == absl::string_view::npos || space + 2 > line.size() ||
          (line[space + 1] != ' ' && line[space + 1] != '*')) {
        return LineError(line_number,
                         "expected \"<64 hex digits>  <name>\" as sha256sum prints it");
      }
      digest = line.substr(0, space);
      name = line.substr(space + 2);
    }
    std::string lower = absl::AsciiStrToLower(digest);
    if (lower.size() != 64 || !IsLowerHex(lower)) {
      return LineError(line_number, absl::StrCat("\"", digest,
                                                 "\" is not a SHA-256 digest (64 hex digits); is "
                                                 "this sha256sum output?"));
    }
    std::string unescaped(name);
    if (escaped) {
      absl::StatusOr<std::string> result = UnescapeName(name);
      if (!result.ok()) return LineError(line_number, result.status().message());
      unescaped = *std::move(result);
    }
    if (unescaped.empty()) return LineError(line_number, "the file name is empty");
    if (unescaped == "-") return LineError(line_number, "\"-\" (standard input) is not a file");
    std::string path = NormalizePath(unescaped);
    if (path == "/") return LineError(line_number, "names the root directory");
    auto [it, inserted] = digests.emplace(path, lower);
    if (!inserted && it->second != lower) {
      return LineError(line_number, absl::StrCat(path, " is listed twice with different digests"));
    }
  }
  std::vector<FileBaselineEntry> entries;
  entries.reserve(digests.size());
  for (auto& [path, digest] : digests) entries.push_back({path, digest});
  return entries;
}

absl::StatusOr<PackageBaseline> ParsePackageBaseline(absl::string_view text) {
  PackageBaseline baseline;
  std::map<std::string, std::string> versions;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (absl::ConsumePrefix(&line, "#")) {
      if (absl::StripAsciiWhitespace(line) == "complete") baseline.complete = true;
      continue;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() > 2) {
      return LineError(line_number, "expected \"<package> <version>\" as dpkg-query -W prints it");
    }
    if (!IsDebianPackageName(fields[0])) {
      return LineError(line_number,
                       absl::StrCat("\"", fields[0], "\" is not a Debian package name"));
    }
    if (fields.size() == 1) continue;  // known to dpkg but not installed
    auto [it, inserted] = versions.emplace(std::string(fields[0]), std::string(fields[1]));
    if (!inserted && it->second != fields[1]) {
      return LineError(line_number,
                       absl::StrCat(fields[0], " is listed twice with different versions"));
    }
  }
  baseline.packages.assign(versions.begin(), versions.end());
  return baseline;
}

absl::StatusOr<std::vector<InstalledPackage>> ParseDpkgStatus(absl::string_view text) {
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError("truncated: the last line has no newline");
  }
  // dpkg ends every stanza with a blank line, the last one too: a file cut at
  // the end of a line inside a stanza still lacks it.
  if (!text.empty() && !absl::EndsWith(text, "\n\n")) {
    return absl::InvalidArgumentError(
        "truncated: the last stanza does not end in a blank line, as dpkg writes it");
  }
  struct Stanza {
    size_t first_line = 0;
    std::string package, status, architecture, multi_arch, version;
  };
  std::vector<Stanza> stanzas;
  Stanza current;
  bool in_stanza = false;
  auto finish = [&]() -> absl::Status {
    if (!in_stanza) return absl::OkStatus();
    in_stanza = false;
    if (current.package.empty()) return LineError(current.first_line, "stanza has no Package");
    if (current.status.empty()) {
      return LineError(current.first_line, absl::StrCat(current.package, " has no Status"));
    }
    stanzas.push_back(std::move(current));
    current = Stanza();
    return absl::OkStatus();
  };
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) {
      if (absl::Status s = finish(); !s.ok()) return s;
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (!in_stanza) return LineError(line_number, "continuation line outside a stanza");
      continue;
    }
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return LineError(line_number, "expected \"Field: value\"");
    }
    if (!in_stanza) {
      in_stanza = true;
      current.first_line = line_number;
    }
    absl::string_view field = line.substr(0, colon);
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    if (absl::EqualsIgnoreCase(field, "Package")) {
      current.package = std::move(value);
    } else if (absl::EqualsIgnoreCase(field, "Status")) {
      current.status = std::move(value);
    } else if (absl::EqualsIgnoreCase(field, "Architecture")) {
      current.architecture = std::move(value);
    } else if (absl::EqualsIgnoreCase(field, "Multi-Arch")) {
      current.multi_arch = std::move(value);
    } else if (absl::EqualsIgnoreCase(field, "Version")) {
      current.version = std::move(value);
    }
  }
  if (absl::Status s = finish(); !s.ok()) return s;

  std::string native;
  for (const Stanza& stanza : stanzas) {
    if (stanza.package == "dpkg") native = stanza.architecture;
  }
  std::vector<InstalledPackage> installed;
  for (Stanza& stanza : stanzas) {
    std::vector<absl::string_view> status =
        absl::StrSplit(stanza.status, ' ', absl::SkipWhitespace());
    if (status.size() != 3) {
      return LineError(stanza.first_line, absl::StrCat(stanza.package, ": Status \"", stanza.status,
                                                       "\" is not \"<want> <flag> <status>\""));
    }
    if (status[2] != "installed") continue;
    if (stanza.version.empty()) {
      return LineError(stanza.first_line,
                       absl::StrCat(stanza.package, " is installed but has no Version"));
    }
    const bool qualified = stanza.multi_arch == "same" ||
                           (!native.empty() && !stanza.architecture.empty() &&
                            stanza.architecture != "all" && stanza.architecture != native);
    std::string name = qualified && !stanza.architecture.empty()
                           ? absl::StrCat(stanza.package, ":", stanza.architecture)
                           : stanza.package;
    installed.push_back({std::move(name), std::move(stanza.package), std::move(stanza.architecture),
                         std::move(stanza.version)});
  }
  std::sort(installed.begin(), installed.end(),
            [](const InstalledPackage& a, const InstalledPackage& b) { return a.name < b.name; });
  return installed;
}

PackageComparison ComparePackages(const PackageBaseline& baseline,
                                  const std::vector<InstalledPackage>& installed) {
  std::map<absl::string_view, size_t> by_name;
  std::multimap<absl::string_view, size_t> by_package;
  for (size_t i = 0; i < installed.size(); ++i) {
    by_name.emplace(installed[i].name, i);
    by_package.emplace(installed[i].package, i);
  }
  auto find = [&](absl::string_view name) -> const InstalledPackage* {
    if (auto it = by_name.find(name); it != by_name.end()) return &installed[it->second];
    absl::string_view package = name;
    absl::string_view arch;
    if (size_t colon = name.find(':'); colon != absl::string_view::npos) {
      package = name.substr(0, colon);
      arch = name.substr(colon + 1);
    }
    auto [first, last] = by_package.equal_range(package);
    const InstalledPackage* found = nullptr;
    int candidates = 0;
    for (auto it = first; it != last; ++it) {
      const InstalledPackage& candidate = installed[it->second];
      if (!arch.empty() && candidate.architecture != arch) continue;
      found = &candidate;
      ++candidates;
    }
    return candidates == 1 ? found : nullptr;
  };

  PackageComparison result;
  std::set<const InstalledPackage*> seen;
  for (const auto& [name, version] : baseline.packages) {
    const InstalledPackage* package = find(name);
    if (package == nullptr) {
      ++result.missing;
      result.drifted.push_back({name, "missing", version, ""});
      continue;
    }
    seen.insert(package);
    if (package->version == version) {
      ++result.matching;
    } else {
      ++result.version_differs;
      result.drifted.push_back({name, "version_differs", version, package->version});
    }
  }
  if (baseline.complete) {
    for (const InstalledPackage& package : installed) {
      if (seen.count(&package)) continue;
      ++result.unexpected;
      result.drifted.push_back({package.name, "unexpected", "", package.version});
    }
  }
  std::sort(result.drifted.begin(), result.drifted.end(),
            [](const PackageDrift& a, const PackageDrift& b) { return a.package < b.package; });
  return result;
}

}  // namespace strata
