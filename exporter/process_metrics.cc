#include "exporter/process_metrics.h"

#include <unistd.h>

#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "exporter/exporter_metrics.h"

namespace strata {

absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text) {
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  size_t paren = text.rfind(')');
  if (paren == absl::string_view::npos) return absl::InvalidArgumentError("no ')' after comm");
  std::vector<absl::string_view> fields =
      absl::StrSplit(text.substr(paren + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); proc(5) numbers utime 14, stime 15, starttime 22, vsize 23,
  // rss 24.
  constexpr size_t kFirst = 3;
  auto field = [&](size_t number) { return fields[number - kFirst]; };
  if (fields.size() < 24 - kFirst + 1) {
    return absl::InvalidArgumentError(absl::StrCat("only ", fields.size() + 2, " fields"));
  }
  ProcStat stat;
  if (!absl::SimpleAtoi(field(14), &stat.utime_ticks) ||
      !absl::SimpleAtoi(field(15), &stat.stime_ticks) ||
      !absl::SimpleAtoi(field(22), &stat.starttime_ticks) ||
      !absl::SimpleAtoi(field(23), &stat.vsize_bytes) ||
      !absl::SimpleAtoi(field(24), &stat.rss_pages)) {
    return absl::InvalidArgumentError("non-numeric utime, stime, starttime, vsize or rss");
  }
  return stat;
}

absl::StatusOr<double> ParseMaxOpenFiles(absl::string_view limits) {
  for (absl::string_view line : absl::StrSplit(limits, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max open files")) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.empty()) break;
    if (fields[0] == "unlimited") return std::numeric_limits<double>::infinity();
    double soft = 0;
    if (!absl::SimpleAtod(fields[0], &soft)) break;
    return soft;
  }
  return absl::InvalidArgumentError("no readable \"Max open files\" line");
}

absl::StatusOr<double> ParseBootTime(absl::string_view stat) {
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    if (!absl::ConsumePrefix(&line, "btime ")) continue;
    double btime = 0;
    if (absl::SimpleAtod(absl::StripAsciiWhitespace(line), &btime)) return btime;
  }
  return absl::InvalidArgumentError("no readable btime line");
}

ProcessMetrics::ProcessMetrics(const HostFs& proc)
    : proc_(proc),
      clock_ticks_per_second_(static_cast<double>(sysconf(_SC_CLK_TCK))),
      page_size_bytes_(static_cast<double>(sysconf(_SC_PAGESIZE))) {}

absl::Status ProcessMetrics::Collect(std::vector<prometheus::MetricFamily>& out) const {
  using namespace exporter_metrics;
  absl::Status status;

  absl::StatusOr<ProcStat> stat = ReadAndParse(proc_, HostRoot::kProc, "self/stat", ParseProcStat);
  status.Update(stat.status());
  if (stat.ok()) {
    FamilyBuilder(kProcessCpuSeconds)
        .Add(static_cast<double>(stat->utime_ticks + stat->stime_ticks) / clock_ticks_per_second_)
        .EmitTo(out);
    FamilyBuilder(kProcessResidentMemory)
        .Add(static_cast<double>(stat->rss_pages) * page_size_bytes_)
        .EmitTo(out);
    FamilyBuilder(kProcessVirtualMemory).Add(static_cast<double>(stat->vsize_bytes)).EmitTo(out);
    absl::StatusOr<double> boot = ReadAndParse(proc_, HostRoot::kProc, "stat", ParseBootTime);
    status.Update(boot.status());
    if (boot.ok()) {
      FamilyBuilder(kProcessStartTime)
          .Add(*boot + static_cast<double>(stat->starttime_ticks) / clock_ticks_per_second_)
          .EmitTo(out);
    }
  }

  absl::StatusOr<std::vector<std::string>> fds = proc_.ListDir(HostRoot::kProc, "self/fd");
  status.Update(fds.status());
  // The directory handle used to list the descriptors is one of them.
  if (fds.ok()) FamilyBuilder(kProcessOpenFds).Add(fds->size() - 1.0).EmitTo(out);

  absl::StatusOr<double> max_fds =
      ReadAndParse(proc_, HostRoot::kProc, "self/limits", ParseMaxOpenFiles);
  status.Update(max_fds.status());
  if (max_fds.ok()) FamilyBuilder(kProcessMaxFds).Add(*max_fds).EmitTo(out);
  return status;
}

}  // namespace strata
