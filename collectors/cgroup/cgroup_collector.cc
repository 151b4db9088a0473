#include "collectors/cgroup/cgroup_collector.h"

#include <sys/stat.h>

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/build_options.h"
#include "base/duration_flag.h"
#include "base/user_pattern.h"
#include "collectors/cgroup/cgroup_metrics.h"
#include "collectors/cgroup/cgroup_stats.h"
#include "collectors/cgroup/cgroup_tree.h"
#include "collectors/cgroup/container_details.h"
#include "collectors/cgroup/docker_api.h"
#include "collectors/cgroup/host_commitment.h"
#include "collectors/cgroup/identity.h"
#include "collectors/cgroup/mounts.h"
#include "collectors/cgroup/network.h"
#include "collectors/cgroup/walker.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

namespace m = cgroup_metrics;

// Block device names by major:minor, from the kernel's uevent files. Device
// numbers are stable while the exporter runs, so answers are kept.
class DeviceNames {
 public:
  explicit DeviceNames(const HostFs& fs) : fs_(fs) {}

  const std::string& Name(uint32_t major, uint32_t minor) {
    auto key = std::make_pair(major, minor);
    auto it = names_.find(key);
    if (it != names_.end()) return it->second;
    std::string name = absl::StrCat(major, ":", minor);
    absl::StatusOr<std::string> uevent =
        fs_.ReadFile(HostRoot::kSys, absl::StrCat("dev/block/", major, ":", minor, "/uevent"));
    if (uevent.ok()) {
      for (absl::string_view line : absl::StrSplit(*uevent, '\n')) {
        if (absl::ConsumePrefix(&line, "DEVNAME=")) name = std::string(line);
      }
    }
    return names_.emplace(key, std::move(name)).first->second;
  }

 private:
  const HostFs& fs_;
  std::map<std::pair<uint32_t, uint32_t>, std::string> names_;
};

std::string LabelName(absl::string_view engine_label) {
  std::string name = "label_";
  for (char c : engine_label) name += absl::ascii_isalnum(c) ? c : '_';
  return name;
}

struct ReportedCgroup {
  std::string path;
  CgroupIdentity identity;
  CgroupStats stats;
};

class CgroupCollector : public Collector {
 public:
  CgroupCollector(const CollectorContext& context, CgroupCollectorOptions options,
                  std::unique_ptr<const RE2> include, std::unique_ptr<const RE2> exclude)
      : fs_(context.fs),
        logger_(context.logger),
        options_(std::move(options)),
        include_(std::move(include)),
        exclude_(std::move(exclude)),
        devices_(context.fs),
        tree_(context.fs, context.logger, options_.max_depth, options_.rescan_interval) {
    if (options_.network) {
      network_.emplace(context.fs, context.logger, options_.network_max_interfaces);
    }
    if (options_.keep_files_open) {
      kept_.emplace(context.fs, KeptFilesCapacity());
      reader_.kept = &*kept_;
    }
  }

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override;

 private:
  absl::StatusOr<CgroupMounts> ReadMounts() const;
  // Asks the container engine about the containers found, when it has a socket.
  absl::Status Enrich(std::vector<ReportedCgroup>& cgroups,
                      std::vector<prometheus::MetricFamily>& out);

  const HostFs& fs_;
  const Logger& logger_;
  const CgroupCollectorOptions options_;
  const std::unique_ptr<const RE2> include_;
  const std::unique_ptr<const RE2> exclude_;
  DeviceNames devices_;
  CgroupTree tree_;
  CgroupFileReader reader_;        // one buffer for every cgroup file read
  std::optional<KeptFiles> kept_;  // with --collector.cgroup.keep-files-open
  std::unique_ptr<ContainerMetadataCache> engine_;
  std::unique_ptr<ContainerDetailsCache> details_;
  bool logged_no_socket_ = false;
  std::optional<CgroupNetwork> network_;  // unset with --no-collector.cgroup.network
};

absl::StatusOr<CgroupMounts> CgroupCollector::ReadMounts() const {
  // PID 1's view is the host's; our own is the fallback when PID 1 is hidden.
  absl::StatusOr<std::string> mountinfo = fs_.ReadFile(HostRoot::kProc, "1/mountinfo");
  if (!mountinfo.ok()) mountinfo = fs_.ReadFile(HostRoot::kProc, "self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  absl::StatusOr<CgroupMounts> mounts = ParseCgroupMounts(*mountinfo);
  if (!mounts.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(fs_.Resolve(HostRoot::kProc, "1/mountinfo"), ": ", mounts.status().message()));
  }
  return mounts;
}

absl::Status CgroupCollector::Collect(std::vector<prometheus::MetricFamily>& out) {
  absl::StatusOr<CgroupMounts> mounts = ReadMounts();
  if (!mounts.ok()) return mounts.status();
  if (mounts->mode == CgroupMode::kNone) {
    logger_.Debug("no cgroup hierarchy mounted", {{"collector", "cgroup"}});
    return absl::OkStatus();
  }
  FamilyBuilder(m::kModeInfo).Add(1, {CgroupModeName(mounts->mode)}).EmitTo(out);

  const CgroupWalk& walk = tree_.Refresh(HierarchiesToWalk(*mounts), absl::Now());
  int filtered = 0;
  int capped = 0;
  int vanished = walk.vanished;
  absl::Status status = walk.status;
  std::vector<std::string> problems;
  std::vector<ReportedCgroup> cgroups;
  std::vector<std::string> gone;
  for (const std::string& path : walk.paths) {
    if (!SearchUserPattern(*include_, path) || SearchUserPattern(*exclude_, path)) {
      ++filtered;
      continue;
    }
    if (static_cast<int>(cgroups.size()) >= options_.max_cgroups) {
      ++capped;
      continue;
    }
    absl::StatusOr<CgroupStats> stats = ReadCgroupStats(fs_, *mounts, path, problems, reader_);
    if (!stats.ok()) {
      ++vanished;
      gone.push_back(path);
      continue;
    }
    cgroups.push_back({path, IdentifyCgroup(path), *std::move(stats)});
  }
  // Removed through a mount the directory watch does not see (another
  // cgroup namespace's): dropped now, not at the next rescan.
  for (const std::string& path : gone) tree_.Forget(path);
  if (kept_.has_value()) kept_->EndScrape();
  FamilyBuilder skipped(m::kSkipped);
  skipped.Add(filtered, {"filter"}).Add(capped, {"cap"}).Add(vanished, {"vanished"}).EmitTo(out);

  status.Update(Enrich(cgroups, out));

  FamilyBuilder info(m::kInfo), cpu_usage(m::kCpuUsage), periods(m::kCpuPeriods),
      throttled_periods(m::kCpuThrottledPeriods), throttled_seconds(m::kCpuThrottledSeconds),
      cpu_limit(m::kCpuLimitCores), cpu_weight(m::kCpuWeight), mem_usage(m::kMemoryUsage),
      working_set(m::kMemoryWorkingSet), rss(m::kMemoryRss), cache(m::kMemoryCache),
      swap(m::kMemorySwap), mem_limit(m::kMemoryLimit), oom_events(m::kMemoryOomEvents),
      oom_kills(m::kMemoryOomKills), io_bytes(m::kIoBytes), io_ops(m::kIoOperations),
      pids(m::kPids), pids_limit(m::kPidsLimit), cpu_waiting(m::kPressureCpuWaiting),
      cpu_stalled(m::kPressureCpuStalled), mem_waiting(m::kPressureMemoryWaiting),
      mem_stalled(m::kPressureMemoryStalled), io_waiting(m::kPressureIoWaiting),
      io_stalled(m::kPressureIoStalled), cpu_request(m::kCpuRequestCores),
      memory_request(m::kMemoryRequestBytes);
  // Most families get a sample per cgroup: sized once, not grown sample by sample.
  for (FamilyBuilder* family :
       {&info, &cpu_usage, &periods, &cpu_weight, &mem_usage, &working_set, &rss, &cache, &pids}) {
    family->Reserve(family == &cpu_usage ? 2 * cgroups.size() : cgroups.size());
  }
  std::vector<ReportedAllocation> allocations;
  allocations.reserve(cgroups.size());
  for (const ReportedCgroup& cgroup : cgroups) {
    allocations.push_back({cgroup.path, cgroup.identity.kind, &cgroup.stats});
  }
  const HostCommitment commitment = AssessHostCommitment(fs_, *mounts, allocations, problems);

  for (const ReportedCgroup& cgroup : cgroups) {
    const std::string& path = cgroup.path;
    const CgroupStats& s = cgroup.stats;
    const CgroupIdentity& id = cgroup.identity;
    info.Add(1, {path, id.kind, id.runtime, id.id, id.name});
    auto gauge = [&path](FamilyBuilder& family, const std::optional<double>& value) {
      if (value.has_value()) family.Add(*value, {path});
    };
    if (s.cpu_user_seconds) cpu_usage.Add(*s.cpu_user_seconds, {path, "user"});
    if (s.cpu_system_seconds) cpu_usage.Add(*s.cpu_system_seconds, {path, "system"});
    gauge(periods, s.cpu_periods);
    gauge(throttled_periods, s.cpu_throttled_periods);
    gauge(throttled_seconds, s.cpu_throttled_seconds);
    gauge(cpu_limit, s.cpu_limit_cores);
    gauge(cpu_weight, s.cpu_weight);
    gauge(mem_usage, s.memory_usage_bytes);
    gauge(working_set, s.memory_working_set_bytes);
    gauge(rss, s.memory_rss_bytes);
    gauge(cache, s.memory_cache_bytes);
    gauge(swap, s.memory_swap_bytes);
    gauge(mem_limit, s.memory_limit_bytes);
    gauge(oom_events, s.memory_oom_events);
    gauge(oom_kills, s.memory_oom_kills);
    for (const DeviceIo& io : s.io) {
      const std::string& device = devices_.Name(io.major, io.minor);
      io_bytes.Add(io.read_bytes, {path, device, "read"})
          .Add(io.write_bytes, {path, device, "write"});
      io_ops.Add(io.read_ios, {path, device, "read"}).Add(io.write_ios, {path, device, "write"});
    }
    gauge(pids, s.pids);
    gauge(pids_limit, s.pids_limit);
    gauge(cpu_waiting, s.cpu_pressure.waiting_seconds);
    gauge(cpu_stalled, s.cpu_pressure.stalled_seconds);
    gauge(mem_waiting, s.memory_pressure.waiting_seconds);
    gauge(mem_stalled, s.memory_pressure.stalled_seconds);
    gauge(io_waiting, s.io_pressure.waiting_seconds);
    gauge(io_stalled, s.io_pressure.stalled_seconds);
    if (auto request = commitment.requests.find(path); request != commitment.requests.end()) {
      gauge(cpu_request, request->second.cpu_cores);
      gauge(memory_request, request->second.memory_bytes);
    }
  }
  for (FamilyBuilder* family :
       {&info,        &cpu_usage,     &periods,     &throttled_periods, &throttled_seconds,
        &cpu_limit,   &cpu_weight,    &mem_usage,   &working_set,       &rss,
        &cache,       &swap,          &mem_limit,   &oom_events,        &oom_kills,
        &io_bytes,    &io_ops,        &pids,        &pids_limit,        &cpu_waiting,
        &cpu_stalled, &mem_waiting,   &mem_stalled, &io_waiting,        &io_stalled,
        &cpu_request, &memory_request}) {
    family->EmitTo(out);
  }
  auto emit_by_kind = [&out](const MetricSpec& spec, const std::map<std::string, double>& sums) {
    FamilyBuilder family(spec);
    for (const auto& [kind, sum] : sums) family.Add(sum, {kind});
    family.EmitTo(out);
  };
  emit_by_kind(m::kCpuLimitCoresSum, commitment.totals.cpu_limit_cores);
  emit_by_kind(m::kMemoryLimitBytesSum, commitment.totals.memory_limit_bytes);
  emit_by_kind(m::kCpuRequestCoresSum, commitment.totals.cpu_request_cores);
  emit_by_kind(m::kMemoryRequestBytesSum, commitment.totals.memory_request_bytes);

  if (network_.has_value()) {
    std::vector<NetworkCgroup> network_cgroups;
    for (const ReportedCgroup& c : cgroups) network_cgroups.push_back({c.path, c.identity.kind});
    network_->Collect(*mounts, network_cgroups, out, problems);
  }

  if (!problems.empty()) {
    status.Update(absl::DataLossError(
        absl::StrCat(problems.size(), " cgroup files unreadable, first: ", problems.front())));
  }
  return status;
}

absl::Status CgroupCollector::Enrich([[maybe_unused]] std::vector<ReportedCgroup>& cgroups,
                                     [[maybe_unused]] std::vector<prometheus::MetricFamily>& out) {
#if !STRATA_WITH_DOCKER_API
  return absl::OkStatus();  // built without an engine client
#else
  if (options_.docker_socket.empty()) return absl::OkStatus();
  // The socket is the host's, so it lies below --path.rootfs like every other
  // host path, and so does every link on its way (Debian's /var/run -> /run):
  // libcurl is handed the path they resolve to there.
  absl::StatusOr<FileStat> socket = fs_.Stat(HostRoot::kRootfs, options_.docker_socket);
  absl::StatusOr<std::string> socket_path = fs_.RealPath(HostRoot::kRootfs, options_.docker_socket);
  if (!socket.ok() || socket->type != FileStat::Type::kSocket || !socket_path.ok()) {
    if (!logged_no_socket_) {
      logger_.Debug("no container engine socket; containers are not named",
                    {{"collector", "cgroup"},
                     {"socket", fs_.Resolve(HostRoot::kRootfs, options_.docker_socket)}});
      logged_no_socket_ = true;
    }
    return absl::OkStatus();
  }
  logged_no_socket_ = false;
  if (engine_ == nullptr) {
    engine_ = std::make_unique<ContainerMetadataCache>(
        NewDockerApiLister(*socket_path, options_.docker_timeout), absl::Seconds(30),
        options_.docker_refresh_interval);
  }
  std::set<std::string> ids;
  for (const ReportedCgroup& cgroup : cgroups) {
    if (!cgroup.identity.container_id.empty()) ids.insert(cgroup.identity.container_id);
  }
  absl::Status status = engine_->Refresh(ids);
  if (details_ == nullptr) {
    ContainerDetailsOptions details_options;
    details_options.drift = options_.drift;
    details_options.rules.drift_prefixes = options_.drift_paths;
    details_options.rules.expected_prefixes = options_.drift_expected_paths;
    details_options.rules.max_paths = options_.drift_max_paths;
    details_options.interval = options_.drift_interval;
    details_options.budget = options_.drift_timeout;
    details_ = std::make_unique<ContainerDetailsCache>(NewDockerApiClient(*socket_path),
                                                       std::move(details_options));
  }
  // An engine that did not answer the listing is not asked about each
  // container too: the scrape would wait for it twice.
  if (status.ok()) {
    std::vector<std::pair<std::string, std::string>> listed;
    for (const std::string& id : ids) {
      if (const EngineContainer* container = engine_->Find(id)) {
        listed.push_back({id, container->image_id});
      }
    }
    status.Update(details_->Refresh(listed));
  }

  FamilyBuilder info(m::kContainerInfo);
  FamilyBuilder created(m::kContainerCreated);
  FamilyBuilder started(m::kContainerStarted), image_created(m::kContainerImageCreated),
      drift_paths(m::kContainerDriftPaths), expected_paths(m::kContainerDriftExpectedPaths),
      watched_paths(m::kContainerDriftWatchedPaths), path_info(m::kContainerDriftPathInfo),
      skipped_paths(m::kContainerDriftSkippedPaths), computed(m::kContainerDriftComputed);
  std::set<std::string> reported;
  for (ReportedCgroup& cgroup : cgroups) {
    const EngineContainer* container = engine_->Find(cgroup.identity.container_id);
    if (container == nullptr) continue;
    cgroup.identity.name = container->name;
    // A container can have several cgroups (hybrid: one path in each hierarchy is one path here).
    if (!reported.insert(container->id).second) continue;
    std::vector<std::pair<std::string, std::string>> labels;
    for (const std::string& allowed : options_.docker_labels) {
      auto it = container->labels.find(allowed);
      labels.push_back({LabelName(allowed), it != container->labels.end() ? it->second : ""});
    }
    info.AddWithExtraLabels(
        1, {cgroup.identity.id, container->name, container->image, container->image_id}, labels);
    created.Add(container->created_seconds, {cgroup.identity.id});
    const ContainerDetails* details = details_->Find(container->id);
    if (details == nullptr) continue;
    const std::string& id = cgroup.identity.id;
    if (details->started_seconds) started.Add(*details->started_seconds, {id});
    if (details->image_created_seconds) image_created.Add(*details->image_created_seconds, {id});
    if (!details->drift) continue;
    const ContainerDrift& drift = *details->drift;
    drift_paths.Add(drift.modified, {id, "modified"})
        .Add(drift.added, {id, "added"})
        .Add(drift.deleted, {id, "deleted"});
    expected_paths.Add(drift.expected, {id});
    watched_paths.Add(drift.drift_prefix_paths, {id});
    for (const DriftedPath& path : drift.paths) {
      path_info.Add(1, {id, path.path, ChangeKindName(path.kind)});
    }
    skipped_paths.Add(drift.skipped, {id});
    computed.Add(absl::ToDoubleSeconds(details->drift_computed_at - absl::UnixEpoch()), {id});
  }
  for (FamilyBuilder* family :
       {&info, &created, &started, &image_created, &drift_paths, &expected_paths, &watched_paths,
        &path_info, &skipped_paths, &computed}) {
    family->EmitTo(out);
  }
  return status;
#endif
}

void AddCgroupFlags(CLI::App& app, CgroupCollectorOptions& options) {
  app.add_option("--collector.cgroup.path-include", options.path_include,
                 "RE2 regex (Go syntax, as node_exporter's): only cgroup paths it matches "
                 "anywhere are reported.")
      ->capture_default_str();
  app.add_option(
         "--collector.cgroup.path-exclude", options.path_exclude,
         "RE2 regex: cgroup paths it matches anywhere are not reported (default: mount, swap and "
         "socket units, login sessions, transient run- scopes, conmon scopes and cgroups and "
         "everything inside a scope).")
      ->capture_default_str();
  app.add_option("--collector.cgroup.max-depth", options.max_depth,
                 "Deepest cgroup level walked; the root cgroup is level 0.")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  app.add_option("--collector.cgroup.max-cgroups", options.max_cgroups,
                 "Most cgroups reported per scrape; the rest are counted in "
                 "strata_cgroup_skipped{reason=\"cap\"}.")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  AddDurationFlag(app, "--collector.cgroup.rescan-interval", options.rescan_interval,
                  "Longest time between two walks of every cgroup hierarchy. Between them the "
                  "tree is kept true by watching its directories (inotify), which sees cgroups "
                  "made, removed and renamed at once, except those made through another mount "
                  "of the hierarchy (a nested container manager's); 0s walks on every scrape.",
                  DurationFloor::kZeroOrMore)
      ->default_str("1m");
  app.add_flag("--collector.cgroup.keep-files-open", options.keep_files_open,
               "Keep each cgroup file open between scrapes and read it again with one pread: "
               "about a third of the CPU of reopening it, for 4-6 KB of kernel memory per file "
               "(about 100 KB per cgroup on a hybrid host), charged to the exporter's memory "
               "cgroup; at most three quarters of the open-file limit are kept (default: off).");
  app.add_flag("--collector.cgroup.network,!--no-collector.cgroup.network", options.network,
               "Network I/O per interface of each container and pod with a network namespace "
               "of its own, from one task's /proc/PID/net/dev, lo left out (default: on).");
  app.add_option("--collector.cgroup.network.max-interfaces", options.network_max_interfaces,
                 "Most interfaces reported per network namespace; the rest are counted in "
                 "strata_cgroup_network_skipped{reason=\"cap\"}.")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
#if STRATA_WITH_DOCKER_API
  app.add_option("--collector.cgroup.docker-socket", options.docker_socket,
                 "Unix socket of a Docker-compatible engine API (Docker, or Podman's "
                 "\"podman system service\") to name containers, below --path.rootfs; empty "
                 "to never ask.")
      ->capture_default_str();
  app.add_option("--collector.cgroup.docker-labels", options.docker_labels,
                 "Container labels copied into strata_container_info as label_<name>; "
                 "comma-separated.")
      ->delimiter(',');
  AddDurationFlag(app, "--collector.cgroup.docker-refresh-interval",
                  options.docker_refresh_interval,
                  "Longest time the engine's container list (names, images, labels) is kept "
                  "while the set of containers stays the same, so renames show within it; 0s "
                  "asks on every scrape.",
                  DurationFloor::kZeroOrMore)
      ->default_str("1m");
  app.add_flag("--collector.cgroup.drift,!--no-collector.cgroup.drift", options.drift,
               "Ask the engine how far each container's file system has drifted from its image "
               "(GET /containers/{id}/changes) (default: on).");
  AddDurationFlag(app, "--collector.cgroup.drift-interval", options.drift_interval,
                  "Least time between two drift and start-time computations for one "
                  "container; scrapes in between serve the last answer.",
                  DurationFloor::kZeroOrMore)
      ->default_str("5m");
  AddDurationFlag(app, "--collector.cgroup.drift-timeout", options.drift_timeout,
                  "Most time one scrape spends asking the engine for containers' drift, start "
                  "and image times; containers left over keep their last answer and are asked "
                  "first next time. Keep it well under --scrape.timeout.",
                  DurationFloor::kZeroOrMore)
      ->default_str("2s");
  app.add_option("--collector.cgroup.drift-paths", options.drift_paths,
                 "Path prefixes whose drifted paths are listed in "
                 "strata_container_drift_path_info; comma-separated.")
      ->delimiter(',')
      ->default_str("/etc");
  app.add_option("--collector.cgroup.drift-expected-paths", options.drift_expected_paths,
                 "Path prefixes expected to change in a running container, whose changes are "
                 "not drift; comma-separated.")
      ->delimiter(',')
      ->default_str(absl::StrJoin(DriftRules().expected_prefixes, ","));
  app.add_option("--collector.cgroup.drift-max-paths", options.drift_max_paths,
                 "Most drifted paths listed per container; the rest are counted in "
                 "strata_container_drift_skipped_paths.")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
#endif
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collector>> NewCgroupCollector(
    const CollectorContext& context, const CgroupCollectorOptions& options) {
  absl::StatusOr<std::unique_ptr<const RE2>> include =
      CompileUserPattern("--collector.cgroup.path-include", options.path_include);
  if (!include.ok()) return include.status();
  absl::StatusOr<std::unique_ptr<const RE2>> exclude =
      CompileUserPattern("--collector.cgroup.path-exclude", options.path_exclude);
  if (!exclude.ok()) return exclude.status();
  for (const auto& [flag, prefixes] :
       {std::pair{"--collector.cgroup.drift-paths", &options.drift_paths},
        std::pair{"--collector.cgroup.drift-expected-paths", &options.drift_expected_paths}}) {
    for (const std::string& prefix : *prefixes) {
      if (prefix.empty() || prefix.front() != '/') {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": \"", prefix, "\" is not an absolute path"));
      }
    }
  }
  return std::make_unique<CgroupCollector>(context, options, *std::move(include),
                                           *std::move(exclude));
}

namespace {

std::vector<const MetricSpec*> CgroupMetricSpecs() {
  std::vector<const MetricSpec*> specs = {&m::kModeInfo,
                                          &m::kSkipped,
                                          &m::kInfo,
                                          &m::kCpuUsage,
                                          &m::kCpuPeriods,
                                          &m::kCpuThrottledPeriods,
                                          &m::kCpuThrottledSeconds,
                                          &m::kCpuLimitCores,
                                          &m::kCpuWeight,
                                          &m::kMemoryUsage,
                                          &m::kMemoryWorkingSet,
                                          &m::kMemoryRss,
                                          &m::kMemoryCache,
                                          &m::kMemorySwap,
                                          &m::kMemoryLimit,
                                          &m::kMemoryOomEvents,
                                          &m::kMemoryOomKills,
                                          &m::kIoBytes,
                                          &m::kIoOperations,
                                          &m::kPids,
                                          &m::kPidsLimit,
                                          &m::kPressureCpuWaiting,
                                          &m::kPressureCpuStalled,
                                          &m::kPressureMemoryWaiting,
                                          &m::kPressureMemoryStalled,
                                          &m::kPressureIoWaiting,
                                          &m::kPressureIoStalled,
                                          &m::kCpuRequestCores,
                                          &m::kMemoryRequestBytes,
                                          &m::kCpuLimitCoresSum,
                                          &m::kMemoryLimitBytesSum,
                                          &m::kCpuRequestCoresSum,
                                          &m::kMemoryRequestBytesSum};
  for (const MetricSpec* spec :
       {&m::kNetworkReceiveBytes, &m::kNetworkTransmitBytes, &m::kNetworkReceivePackets,
        &m::kNetworkTransmitPackets, &m::kNetworkReceiveErrors, &m::kNetworkTransmitErrors,
        &m::kNetworkReceiveDrops, &m::kNetworkTransmitDrops, &m::kNetworkSkipped}) {
    specs.push_back(spec);
  }
  if (STRATA_WITH_DOCKER_API) {  // only the engine names containers
    specs.push_back(&m::kContainerInfo);
    specs.push_back(&m::kContainerCreated);
    for (const MetricSpec* spec : {&m::kContainerStarted, &m::kContainerImageCreated,
                                   &m::kContainerDriftPaths, &m::kContainerDriftExpectedPaths,
                                   &m::kContainerDriftWatchedPaths, &m::kContainerDriftPathInfo,
                                   &m::kContainerDriftSkippedPaths, &m::kContainerDriftComputed}) {
      specs.push_back(spec);
    }
  }
  return specs;
}

}  // namespace

std::unique_ptr<CollectorModule> NewCgroupCollectorModule() {
  return std::make_unique<OptionsCollectorModule<CgroupCollectorOptions>>(
      CollectorInfo{
          "cgroup", true,
          "CPU, memory, IO, PIDs and pressure of every container, pod, service and VM cgroup",
          CgroupMetricSpecs()},
      AddCgroupFlags, NewCgroupCollector);
}

}  // namespace strata
