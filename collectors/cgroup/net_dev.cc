#include "collectors/cgroup/net_dev.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {
namespace {

// Whitespace as the kernel's isspace() knows it, which interface names may not hold.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Only decimal digits, as the kernel prints them (SimpleAtoi would take "+1" and " 1").
bool ParseDecimal(absl::string_view text, uint64_t& value) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return absl::SimpleAtoi(text, &value);
}

// Where bytes, packets, errs and drop are among one direction's columns.
struct Columns {
  size_t count = 0;
  size_t bytes = 0, packets = 0, errs = 0, drop = 0;
};

absl::StatusOr<Columns> FindColumns(absl::string_view names, absl::string_view direction) {
  std::vector<absl::string_view> fields = absl::StrSplit(names, ' ', absl::SkipEmpty());
  Columns columns;
  columns.count = fields.size();
  bool found[4] = {false, false, false, false};
  size_t* slots[4] = {&columns.bytes, &columns.packets, &columns.errs, &columns.drop};
  static constexpr const char* kNames[4] = {"bytes", "packets", "errs", "drop"};
  for (size_t i = 0; i < fields.size(); ++i) {
    for (int k = 0; k < 4; ++k) {
      if (fields[i] == kNames[k] && !found[k]) {
        *slots[k] = i;
        found[k] = true;
      }
    }
  }
  for (int k = 0; k < 4; ++k) {
    if (!found[k]) {
      return absl::InvalidArgumentError(
          absl::StrCat("header: no \"", kNames[k], "\" column under ", direction));
    }
  }
  return columns;
}

}  // namespace

absl::StatusOr<std::vector<NetDevCounters>> ParseNetDev(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // A file ends with a newline, which leaves one empty piece.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() < 2 || !absl::StartsWith(lines[0], "Inter-|")) {
    return absl::InvalidArgumentError("no \"Inter-|\" header line");
  }
  // " face |bytes    packets errs drop ...|bytes    packets errs drop ..."
  std::vector<absl::string_view> sections = absl::StrSplit(lines[1], '|');
  if (sections.size() != 3 || absl::StripAsciiWhitespace(sections[0]) != "face") {
    return absl::InvalidArgumentError("second header line is not \" face |...|...\"");
  }
  absl::StatusOr<Columns> receive = FindColumns(sections[1], "Receive");
  if (!receive.ok()) return receive.status();
  absl::StatusOr<Columns> transmit = FindColumns(sections[2], "Transmit");
  if (!transmit.ok()) return transmit.status();

  std::vector<NetDevCounters> interfaces;
  std::set<std::string> names;
  std::vector<uint64_t> values(receive->count + transmit->count);
  for (size_t i = 2; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("line ", i + 1, ": no ':' after the name"));
    }
    // Names are right-aligned in 6 columns; old kernels put no space after the colon.
    absl::string_view name = absl::StripLeadingAsciiWhitespace(line.substr(0, colon));
    if (name.empty() || name.size() > kMaxInterfaceNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": interface name of ", name.size(), " bytes"));
    }
    for (char c : name) {
      if (IsSpace(c) || c == '/' || c == '\0') {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", i + 1, ": interface name holds a byte no name may hold"));
      }
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line.substr(colon + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != values.size()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", i + 1, ": ", fields.size(),
                                                     " values where the header has ", values.size(),
                                                     " columns"));
    }
    for (size_t f = 0; f < fields.size(); ++f) {
      if (!ParseDecimal(fields[f], values[f])) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", i + 1, ": value ", f + 1, " is not an unsigned integer"));
      }
    }
    if (!names.insert(std::string(name)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": an interface of that name came before"));
    }
    const uint64_t* rx = values.data();
    const uint64_t* tx = values.data() + receive->count;
    interfaces.push_back({std::string(name), rx[receive->bytes], rx[receive->packets],
                          rx[receive->errs], rx[receive->drop], tx[transmit->bytes],
                          tx[transmit->packets], tx[transmit->errs], tx[transmit->drop]});
  }
  return interfaces;
}

absl::StatusOr<uint64_t> ParseNetNamespaceLink(absl::string_view target) {
  uint64_t inode = 0;
  if (!absl::ConsumePrefix(&target, "net:[") || !absl::ConsumeSuffix(&target, "]") ||
      !ParseDecimal(target, inode)) {
    return absl::InvalidArgumentError("not a network namespace link (\"net:[INODE]\")");
  }
  return inode;
}

absl::StatusOr<std::optional<int>> ParseFirstPid(absl::string_view text) {
  if (text.empty()) return std::optional<int>();
  const size_t newline = text.find('\n');
  absl::string_view first = text.substr(0, newline);
  uint64_t pid = 0;
  // PIDs are at most PID_MAX_LIMIT (2^22) on every kernel.
  if (!ParseDecimal(first, pid) || pid == 0 || pid > (uint64_t{1} << 22)) {
    return absl::InvalidArgumentError("first line is not a PID");
  }
  return std::optional<int>(static_cast<int>(pid));
}

}  // namespace strata
