#include "collectors/host/proc_parsers.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata {

absl::StatusOr<int> ParseCpuListCount(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return absl::InvalidArgumentError("empty cpu list");
  int count = 0;
  for (absl::string_view range : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> bounds = absl::StrSplit(range, absl::MaxSplits('-', 1));
    uint32_t first = 0;
    uint32_t last = 0;
    if (!absl::SimpleAtoi(bounds[0], &first)) {
      return absl::InvalidArgumentError(absl::StrCat("bad cpu list entry \"", range, "\""));
    }
    last = first;
    if (bounds.size() == 2 && !absl::SimpleAtoi(bounds[1], &last)) {
      return absl::InvalidArgumentError(absl::StrCat("bad cpu list entry \"", range, "\""));
    }
    if (last < first) {
      return absl::InvalidArgumentError(absl::StrCat("bad cpu list range \"", range, "\""));
    }
    // Far above any kernel's NR_CPUS; guards the count against nonsense ranges.
    constexpr uint32_t kMaxCpus = 1 << 20;
    if (last - first >= kMaxCpus || count + (last - first + 1) > kMaxCpus) {
      return absl::InvalidArgumentError(absl::StrCat("cpu list range \"", range, "\" too large"));
    }
    count += static_cast<int>(last - first + 1);
  }
  return count;
}

namespace {

// The value of the meminfo line "<key>: <value> kB", in bytes; nullopt when
// there is no such line.
absl::StatusOr<std::optional<double>> MeminfoBytes(absl::string_view meminfo,
                                                   absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, ":")) continue;
    line = absl::StripAsciiWhitespace(line);
    bool in_kib = absl::ConsumeSuffix(&line, "kB");
    uint64_t value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) {
      return absl::InvalidArgumentError(absl::StrCat("bad ", key, " value \"", line, "\""));
    }
    return static_cast<double>(value) * (in_kib ? 1024.0 : 1.0);
  }
  return std::nullopt;
}

// The columns of the aggregate "cpu" line of /proc/stat, at least four.
absl::StatusOr<std::vector<absl::string_view>> AggregateCpuFields(absl::string_view stat) {
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    if (!absl::ConsumePrefix(&line, "cpu ")) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // user nice system idle iowait irq softirq steal guest guest_nice
    if (fields.size() < 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("aggregate cpu line has ", fields.size(), " fields, want at least 4"));
    }
    return fields;
  }
  return absl::InvalidArgumentError("no aggregate \"cpu \" line");
}

}  // namespace

absl::StatusOr<double> ParseMemTotalBytes(absl::string_view meminfo) {
  absl::StatusOr<std::optional<double>> bytes = MeminfoBytes(meminfo, "MemTotal");
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return absl::InvalidArgumentError("no MemTotal line");
  return **bytes;
}

absl::StatusOr<std::optional<double>> ParseMemAvailableBytes(absl::string_view meminfo) {
  return MeminfoBytes(meminfo, "MemAvailable");
}

absl::StatusOr<double> ParseStealSeconds(absl::string_view stat) {
  absl::StatusOr<std::vector<absl::string_view>> fields = AggregateCpuFields(stat);
  if (!fields.ok()) return fields.status();
  if (fields->size() < 8) return 0.0;
  uint64_t ticks = 0;
  if (!absl::SimpleAtoi((*fields)[7], &ticks)) {
    return absl::InvalidArgumentError(absl::StrCat("bad steal value \"", (*fields)[7], "\""));
  }
  return static_cast<double>(ticks) / kUserHz;
}

absl::StatusOr<std::vector<CpuModeSeconds>> ParseCpuModeSeconds(absl::string_view stat) {
  absl::StatusOr<std::vector<absl::string_view>> fields = AggregateCpuFields(stat);
  if (!fields.ok()) return fields.status();
  std::vector<CpuModeSeconds> modes;
  for (size_t i = 0; i < kCpuModes.size() && i < fields->size(); ++i) {
    uint64_t ticks = 0;
    if (!absl::SimpleAtoi((*fields)[i], &ticks)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad ", kCpuModes[i], " value \"", (*fields)[i], "\""));
    }
    modes.push_back({kCpuModes[i], static_cast<double>(ticks) / kUserHz});
  }
  return modes;
}

bool CpuinfoHasHypervisorFlag(absl::string_view cpuinfo) {
  for (absl::string_view line : absl::StrSplit(cpuinfo, '\n')) {
    // x86 names the line "flags"; other architectures have no such flag.
    if (!absl::StartsWith(line, "flags")) continue;
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    for (absl::string_view flag : absl::StrSplit(line.substr(colon + 1), ' ', absl::SkipEmpty())) {
      if (flag == "hypervisor") return true;
    }
    return false;
  }
  return false;
}

}  // namespace strata
