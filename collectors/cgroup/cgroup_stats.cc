#include "collectors/cgroup/cgroup_stats.h"

#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

constexpr double kNanosecond = 1e-9;
constexpr double kMicrosecond = 1e-6;
constexpr double kUserHz = 100.0;

// Reads files of one cgroup in one hierarchy, remembering problems and
// whether anything at all could be read (to tell a vanished cgroup).
class CgroupDir {
 public:
  CgroupDir(const HostFs& fs, const HierarchyLocation& hierarchy, absl::string_view cgroup,
            std::vector<std::string>& problems, bool& any_read, CgroupFileReader& reader)
      : fs_(fs),
        root_(hierarchy.root),
        dir_(absl::StrCat(hierarchy.path, cgroup == "/" ? "" : std::string(cgroup))),
        problems_(problems),
        any_read_(any_read),
        reader_(reader) {}

  // The parsed file, or nullopt when it is absent (not every kernel, mode or
  // cgroup has every file) or broken (then noted in problems).
  template <typename Parser>
  auto Read(absl::string_view file, Parser parse)
      -> std::optional<typename decltype(parse(absl::string_view()))::value_type> {
    const std::string path = absl::StrCat(dir_, "/", file);
    absl::StatusOr<absl::string_view> text = reader_.kept != nullptr
                                                 ? reader_.kept->Read(root_, path, reader_.buffer)
                                                 : fs_.ReadSmallFile(root_, path, reader_.buffer);
    if (!text.ok()) {
      if (!absl::IsNotFound(text.status()))
        problems_.push_back(std::string(text.status().message()));
      return std::nullopt;
    }
    any_read_ = true;
    auto parsed = parse(*text);
    if (!parsed.ok()) {
      problems_.push_back(absl::StrCat(fs_.Resolve(root_, absl::StrCat(dir_, "/", file)), ": ",
                                       parsed.status().message()));
      return std::nullopt;
    }
    return *std::move(parsed);
  }

  std::string Describe(absl::string_view file) const {
    return fs_.Resolve(root_, absl::StrCat(dir_, "/", file));
  }

  bool Exists() const {
    absl::StatusOr<bool> exists = fs_.Exists(root_, dir_);
    return !exists.ok() || *exists;
  }

 private:
  const HostFs& fs_;
  const HostRoot root_;
  const std::string dir_;
  std::vector<std::string>& problems_;
  bool& any_read_;
  CgroupFileReader& reader_;
};

using Keyed = std::map<std::string, uint64_t>;

std::optional<double> Key(const std::optional<Keyed>& values, const char* key, double scale = 1) {
  if (!values.has_value()) return std::nullopt;
  auto it = values->find(key);
  if (it == values->end()) return std::nullopt;
  return static_cast<double>(it->second) * scale;
}

// v1 memory.stat: the hierarchical "total_" value, else the local one.
std::optional<double> Total(const std::optional<Keyed>& stat, const std::string& key) {
  std::optional<double> total = Key(stat, ("total_" + key).c_str());
  return total.has_value() ? total : Key(stat, key.c_str());
}

std::optional<double> WorkingSet(std::optional<double> usage, std::optional<double> inactive_file) {
  if (!usage.has_value()) return std::nullopt;
  // cAdvisor's definition: usage less inactive file pages, never negative.
  const double inactive = inactive_file.value_or(0);
  return *usage > inactive ? *usage - inactive : 0;
}

std::optional<double> Seconds(std::optional<uint64_t> micros) {
  if (!micros.has_value()) return std::nullopt;
  return static_cast<double>(*micros) * kMicrosecond;
}

void ReadPressure(CgroupDir& dir, CgroupStats& stats) {
  struct Source {
    const char* file;
    CgroupStats::Psi* target;
  };
  for (const Source& source : {Source{"cpu.pressure", &stats.cpu_pressure},
                               Source{"memory.pressure", &stats.memory_pressure},
                               Source{"io.pressure", &stats.io_pressure}}) {
    std::optional<Pressure> pressure = dir.Read(source.file, ParsePressure);
    if (!pressure.has_value()) continue;
    source.target->waiting_seconds = Seconds(pressure->some_total_us);
    source.target->stalled_seconds = Seconds(pressure->full_total_us);
  }
}

void ReadV2Allocation(CgroupDir& dir, CgroupStats& stats) {
  if (std::optional<CpuMax> max = dir.Read("cpu.max", ParseCpuMax); max && max->quota_us) {
    stats.cpu_limit_cores =
        static_cast<double>(*max->quota_us) / static_cast<double>(max->period_us);
  }
  if (std::optional<uint64_t> weight = dir.Read("cpu.weight", ParseSingleValue)) {
    stats.cpu_weight = static_cast<double>(*weight);
  }
  if (auto max = dir.Read("memory.max", ParseMaxOrValue); max && *max) {
    stats.memory_limit_bytes = static_cast<double>(**max);
  }
}

void ReadV2(CgroupDir& dir, CgroupStats& stats) {
  std::optional<Keyed> cpu = dir.Read("cpu.stat", ParseFlatKeyed);
  stats.cpu_user_seconds = Key(cpu, "user_usec", kMicrosecond);
  stats.cpu_system_seconds = Key(cpu, "system_usec", kMicrosecond);
  stats.cpu_periods = Key(cpu, "nr_periods");
  stats.cpu_throttled_periods = Key(cpu, "nr_throttled");
  stats.cpu_throttled_seconds = Key(cpu, "throttled_usec", kMicrosecond);

  if (std::optional<uint64_t> current = dir.Read("memory.current", ParseSingleValue)) {
    stats.memory_usage_bytes = static_cast<double>(*current);
  }
  std::optional<Keyed> memory = dir.Read("memory.stat", ParseFlatKeyed);
  stats.memory_rss_bytes = Key(memory, "anon");
  stats.memory_cache_bytes = Key(memory, "file");
  stats.memory_working_set_bytes =
      WorkingSet(stats.memory_usage_bytes, Key(memory, "inactive_file"));
  if (std::optional<uint64_t> swap = dir.Read("memory.swap.current", ParseSingleValue)) {
    stats.memory_swap_bytes = static_cast<double>(*swap);
  }
  ReadV2Allocation(dir, stats);
  std::optional<Keyed> events = dir.Read("memory.events", ParseFlatKeyed);
  stats.memory_oom_events = Key(events, "oom");
  stats.memory_oom_kills = Key(events, "oom_kill");

  if (auto io = dir.Read("io.stat", ParseIoStat)) stats.io = *std::move(io);

  if (std::optional<uint64_t> pids = dir.Read("pids.current", ParseSingleValue)) {
    stats.pids = static_cast<double>(*pids);
  }
  if (auto max = dir.Read("pids.max", ParseMaxOrValue); max && *max) {
    stats.pids_limit = static_cast<double>(**max);
  }
  ReadPressure(dir, stats);
}

void ReadV1CpuAllocation(CgroupDir& dir, CgroupStats& stats) {
  // The period matters only under a quota; -1 (none) is the common case.
  std::optional<int64_t> quota = dir.Read("cpu.cfs_quota_us", ParseSignedValue);
  if (quota && *quota > 0) {
    std::optional<uint64_t> period = dir.Read("cpu.cfs_period_us", ParseSingleValue);
    if (period && *period > 0) {
      stats.cpu_limit_cores = static_cast<double>(*quota) / static_cast<double>(*period);
    }
  }
  if (std::optional<uint64_t> shares = dir.Read("cpu.shares", ParseSingleValue)) {
    stats.cpu_weight = CpuSharesToWeight(*shares);
    stats.cpu_shares = *shares;
  }
}

void ReadV1Cpu(CgroupDir& dir, CgroupStats& stats) {
  std::optional<Keyed> cpu = dir.Read("cpu.stat", ParseFlatKeyed);
  stats.cpu_periods = Key(cpu, "nr_periods");
  stats.cpu_throttled_periods = Key(cpu, "nr_throttled");
  stats.cpu_throttled_seconds = Key(cpu, "throttled_time", kNanosecond);
  ReadV1CpuAllocation(dir, stats);
}

void ReadV1Cpuacct(CgroupDir& dir, CgroupStats& stats) {
  // Nanosecond split since Linux 4.6; the tick-based cpuacct.stat before.
  std::optional<uint64_t> user = dir.Read("cpuacct.usage_user", ParseSingleValue);
  std::optional<uint64_t> system = dir.Read("cpuacct.usage_sys", ParseSingleValue);
  if (user && system) {
    stats.cpu_user_seconds = static_cast<double>(*user) * kNanosecond;
    stats.cpu_system_seconds = static_cast<double>(*system) * kNanosecond;
    return;
  }
  std::optional<Keyed> ticks = dir.Read("cpuacct.stat", ParseFlatKeyed);
  stats.cpu_user_seconds = Key(ticks, "user", 1 / kUserHz);
  stats.cpu_system_seconds = Key(ticks, "system", 1 / kUserHz);
}

void ReadV1MemoryLimit(CgroupDir& dir, CgroupStats& stats) {
  if (auto limit = dir.Read("memory.limit_in_bytes", ParseMaxOrValue); limit && *limit) {
    stats.memory_limit_bytes = static_cast<double>(**limit);
    // With use_hierarchy 0 (allowed before Linux 5.11) children are not
    // charged to this cgroup, so its limit does not bound them.
    std::optional<uint64_t> hierarchical = dir.Read("memory.use_hierarchy", ParseSingleValue);
    stats.memory_limit_covers_descendants = !hierarchical.has_value() || *hierarchical != 0;
  }
}

void ReadV1Memory(CgroupDir& dir, CgroupStats& stats) {
  if (std::optional<uint64_t> usage = dir.Read("memory.usage_in_bytes", ParseSingleValue)) {
    stats.memory_usage_bytes = static_cast<double>(*usage);
  }
  std::optional<Keyed> memory = dir.Read("memory.stat", ParseFlatKeyed);
  stats.memory_rss_bytes = Total(memory, "rss");
  stats.memory_cache_bytes = Total(memory, "cache");
  stats.memory_swap_bytes = Total(memory, "swap");
  stats.memory_working_set_bytes =
      WorkingSet(stats.memory_usage_bytes, Total(memory, "inactive_file"));
  ReadV1MemoryLimit(dir, stats);
  // v1 counts OOM kills (since 4.13) but has no OOM event counter.
  std::optional<Keyed> oom = dir.Read("memory.oom_control", ParseFlatKeyed);
  stats.memory_oom_kills = Key(oom, "oom_kill");
}

void ReadV1Blkio(CgroupDir& dir, CgroupStats& stats) {
  // Per-cgroup throttle statistics; the _recursive files include descendants,
  // as v2's io.stat does.
  for (bool operations : {false, true}) {
    // Both files list the same devices: with no bytes on any, no operations either.
    if (operations && stats.io.empty()) return;
    const char* base =
        operations ? "blkio.throttle.io_serviced" : "blkio.throttle.io_service_bytes";
    auto parse = [&](absl::string_view text) -> absl::StatusOr<bool> {
      absl::Status parsed = ParseBlkioThrottle(text, operations, stats.io);
      if (!parsed.ok()) return parsed;
      return true;
    };
    if (!dir.Read(absl::StrCat(base, "_recursive"), parse).has_value()) dir.Read(base, parse);
  }
}

void ReadV1Pids(CgroupDir& dir, CgroupStats& stats) {
  if (std::optional<uint64_t> pids = dir.Read("pids.current", ParseSingleValue)) {
    stats.pids = static_cast<double>(*pids);
  }
  if (auto max = dir.Read("pids.max", ParseMaxOrValue); max && *max) {
    stats.pids_limit = static_cast<double>(**max);
  }
}

// Reads the cgroup's files: all of them, or with `allocation_only` just its
// limits and CPU weight.
absl::StatusOr<CgroupStats> Read(const HostFs& fs, const CgroupMounts& mounts,
                                 absl::string_view path, bool allocation_only,
                                 std::vector<std::string>& problems, CgroupFileReader& reader) {
  CgroupStats stats;
  bool any_read = false;
  auto dir_for = [&](const HierarchyLocation& location) {
    return CgroupDir(fs, location, path, problems, any_read, reader);
  };
  if (mounts.mode == CgroupMode::kV2) {
    CgroupDir unified = dir_for(*mounts.unified);
    if (allocation_only) {
      ReadV2Allocation(unified, stats);
    } else {
      ReadV2(unified, stats);
    }
    if (!any_read && !unified.Exists()) return absl::NotFoundError("cgroup vanished");
    return stats;
  }
  auto v1 = [&](const char* controller, auto read) {
    auto it = mounts.v1.find(controller);
    if (it == mounts.v1.end()) return;
    CgroupDir dir = dir_for(it->second);
    read(dir);
  };
  if (allocation_only) {
    v1("cpu", [&](CgroupDir& dir) { ReadV1CpuAllocation(dir, stats); });
    v1("memory", [&](CgroupDir& dir) { ReadV1MemoryLimit(dir, stats); });
  } else {
    v1("cpu", [&](CgroupDir& dir) { ReadV1Cpu(dir, stats); });
    v1("cpuacct", [&](CgroupDir& dir) { ReadV1Cpuacct(dir, stats); });
    v1("memory", [&](CgroupDir& dir) { ReadV1Memory(dir, stats); });
    v1("blkio", [&](CgroupDir& dir) { ReadV1Blkio(dir, stats); });
    v1("pids", [&](CgroupDir& dir) { ReadV1Pids(dir, stats); });
    if (mounts.unified.has_value()) {
      CgroupDir unified = dir_for(*mounts.unified);
      ReadPressure(unified, stats);
    }
  }
  if (!any_read) {
    // Either every hierarchy lost it, or it only ever existed where nothing is read.
    bool exists_somewhere = false;
    for (const auto& [controller, location] : mounts.v1) {
      exists_somewhere = exists_somewhere || dir_for(location).Exists();
    }
    if (mounts.unified) exists_somewhere = exists_somewhere || dir_for(*mounts.unified).Exists();
    if (!exists_somewhere) return absl::NotFoundError("cgroup vanished");
  }
  return stats;
}

}  // namespace

absl::StatusOr<CgroupStats> ReadCgroupStats(const HostFs& fs, const CgroupMounts& mounts,
                                            absl::string_view path,
                                            std::vector<std::string>& problems,
                                            CgroupFileReader& reader) {
  return Read(fs, mounts, path, /*allocation_only=*/false, problems, reader);
}

absl::StatusOr<CgroupStats> ReadCgroupAllocation(const HostFs& fs, const CgroupMounts& mounts,
                                                 absl::string_view path,
                                                 std::vector<std::string>& problems) {
  CgroupFileReader reader;
  return Read(fs, mounts, path, /*allocation_only=*/true, problems, reader);
}

void ReadMemoryProtection(const HostFs& fs, const CgroupMounts& mounts, absl::string_view path,
                          CgroupStats& stats, std::vector<std::string>& problems) {
  // Only v2's memory controller has them; in hybrid mode memory is v1's.
  if (mounts.mode != CgroupMode::kV2) return;
  bool any_read = false;
  CgroupFileReader reader;
  CgroupDir dir(fs, *mounts.unified, path, problems, any_read, reader);
  // "max" (protect everything) is no amount: left unset, as 0 is.
  if (auto min = dir.Read("memory.min", ParseMaxOrValue); min && *min) {
    stats.memory_min_bytes = **min;
  }
  if (auto low = dir.Read("memory.low", ParseMaxOrValue); low && *low) {
    stats.memory_low_bytes = **low;
  }
}

}  // namespace strata
