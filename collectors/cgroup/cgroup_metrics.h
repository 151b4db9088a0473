// Metrics of the cgroup collector.
#pragma once

#include "base/metric_spec.h"

namespace strata::cgroup_metrics {

using prometheus::MetricType;

inline constexpr char kMountinfo[] = "/proc/1/mountinfo";

inline constexpr MetricSpec kModeInfo{
    "strata_cgroup_mode_info",
    MetricType::Gauge,
    "The host's cgroup mode: v1, v2 (unified) or hybrid (v1 controllers plus a cgroup2 mount).",
    {"mode"},
    kMountinfo};
inline constexpr MetricSpec kSkipped{
    "strata_cgroup_skipped",
    MetricType::Gauge,
    "Cgroups left out of this scrape: by the path filters (filter), by "
    "--collector.cgroup.max-cgroups (cap), or removed while being read (vanished).",
    {"reason"},
    "the cgroup walk"};
inline constexpr MetricSpec kInfo{
    "strata_cgroup_info",
    MetricType::Gauge,
    "What a cgroup is: kind is container, pod, service, slice, vm or other; runtime, id and name "
    "say whose it is. Always 1.",
    {"cgroup", "kind", "runtime", "id", "name"},
    "the cgroup path; the container engine API"};

inline constexpr MetricSpec kCpuUsage{
    "strata_cgroup_cpu_usage_seconds_total",
    MetricType::Counter,
    "CPU time consumed by the cgroup's tasks, split by mode (user, system).",
    {"cgroup", "mode"},
    "v2 cpu.stat; v1 cpuacct.usage_user/usage_sys or cpuacct.stat"};
inline constexpr MetricSpec kCpuPeriods{"strata_cgroup_cpu_periods_total",
                                        MetricType::Counter,
                                        "CFS enforcement periods that have elapsed.",
                                        {"cgroup"},
                                        "cpu.stat nr_periods"};
inline constexpr MetricSpec kCpuThrottledPeriods{"strata_cgroup_cpu_throttled_periods_total",
                                                 MetricType::Counter,
                                                 "CFS periods in which the cgroup was throttled.",
                                                 {"cgroup"},
                                                 "cpu.stat nr_throttled"};
inline constexpr MetricSpec kCpuThrottledSeconds{
    "strata_cgroup_cpu_throttled_seconds_total",
    MetricType::Counter,
    "Time the cgroup's tasks were throttled by the CFS quota.",
    {"cgroup"},
    "v2 cpu.stat throttled_usec; v1 cpu.stat throttled_time"};
inline constexpr MetricSpec kCpuLimitCores{
    "strata_cgroup_cpu_limit_cores",
    MetricType::Gauge,
    "CPU limit in cores (quota / period); absent when unlimited.",
    {"cgroup"},
    "v2 cpu.max; v1 cpu.cfs_quota_us / cpu.cfs_period_us"};
inline constexpr MetricSpec kCpuWeight{
    "strata_cgroup_cpu_weight",
    MetricType::Gauge,
    "CPU weight on the v2 scale (1-10000, default 100); v1 shares mapped as the kernel does.",
    {"cgroup"},
    "v2 cpu.weight; v1 cpu.shares"};

inline constexpr MetricSpec kMemoryUsage{"strata_cgroup_memory_usage_bytes",
                                         MetricType::Gauge,
                                         "Memory charged to the cgroup, page cache included.",
                                         {"cgroup"},
                                         "v2 memory.current; v1 memory.usage_in_bytes"};
inline constexpr MetricSpec kMemoryWorkingSet{
    "strata_cgroup_memory_working_set_bytes",
    MetricType::Gauge,
    "Usage minus inactive file pages, as cAdvisor defines the working set.",
    {"cgroup"},
    "memory usage and memory.stat inactive_file"};
inline constexpr MetricSpec kMemoryRss{"strata_cgroup_memory_rss_bytes",
                                       MetricType::Gauge,
                                       "Anonymous memory (RSS).",
                                       {"cgroup"},
                                       "v2 memory.stat anon; v1 memory.stat total_rss"};
inline constexpr MetricSpec kMemoryCache{"strata_cgroup_memory_cache_bytes",
                                         MetricType::Gauge,
                                         "Page cache memory.",
                                         {"cgroup"},
                                         "v2 memory.stat file; v1 memory.stat total_cache"};
inline constexpr MetricSpec kMemorySwap{"strata_cgroup_memory_swap_bytes",
                                        MetricType::Gauge,
                                        "Swap used by the cgroup.",
                                        {"cgroup"},
                                        "v2 memory.swap.current; v1 memory.stat total_swap"};
inline constexpr MetricSpec kMemoryLimit{"strata_cgroup_memory_limit_bytes",
                                         MetricType::Gauge,
                                         "Memory limit; absent when unlimited.",
                                         {"cgroup"},
                                         "v2 memory.max; v1 memory.limit_in_bytes"};
inline constexpr MetricSpec kMemoryOomEvents{
    "strata_cgroup_memory_oom_events_total",
    MetricType::Counter,
    "Times the cgroup hit its limit and the OOM killer was invoked (v2 only).",
    {"cgroup"},
    "v2 memory.events oom"};
inline constexpr MetricSpec kMemoryOomKills{
    "strata_cgroup_memory_oom_kills_total",
    MetricType::Counter,
    "Processes in the cgroup killed by the OOM killer.",
    {"cgroup"},
    "v2 memory.events oom_kill; v1 memory.oom_control oom_kill"};

inline constexpr MetricSpec kIoBytes{
    "strata_cgroup_io_bytes_total",
    MetricType::Counter,
    "Bytes read or written, per device.",
    {"cgroup", "device", "operation"},
    "v2 io.stat; v1 blkio.throttle.io_service_bytes(_recursive); device names from "
    "/sys/dev/block/MAJ:MIN/uevent"};
inline constexpr MetricSpec kIoOperations{"strata_cgroup_io_operations_total",
                                          MetricType::Counter,
                                          "Read or write operations, per device.",
                                          {"cgroup", "device", "operation"},
                                          "v2 io.stat; v1 blkio.throttle.io_serviced(_recursive)"};

inline constexpr MetricSpec kPids{"strata_cgroup_pids",
                                  MetricType::Gauge,
                                  "Tasks (processes and threads) in the cgroup.",
                                  {"cgroup"},
                                  "pids.current"};
inline constexpr MetricSpec kPidsLimit{"strata_cgroup_pids_limit",
                                       MetricType::Gauge,
                                       "Task limit; absent when unlimited.",
                                       {"cgroup"},
                                       "pids.max"};

inline constexpr MetricSpec kPressureCpuWaiting{
    "strata_cgroup_pressure_cpu_waiting_seconds_total",
    MetricType::Counter,
    "Time at least one task of the cgroup waited for CPU (PSI \"some\").",
    {"cgroup"},
    "cpu.pressure"};
inline constexpr MetricSpec kPressureCpuStalled{
    "strata_cgroup_pressure_cpu_stalled_seconds_total",
    MetricType::Counter,
    "Time all non-idle tasks of the cgroup waited for CPU (PSI \"full\").",
    {"cgroup"},
    "cpu.pressure"};
inline constexpr MetricSpec kPressureMemoryWaiting{
    "strata_cgroup_pressure_memory_waiting_seconds_total",
    MetricType::Counter,
    "Time at least one task of the cgroup waited for memory (PSI \"some\").",
    {"cgroup"},
    "memory.pressure"};
inline constexpr MetricSpec kPressureMemoryStalled{
    "strata_cgroup_pressure_memory_stalled_seconds_total",
    MetricType::Counter,
    "Time all non-idle tasks of the cgroup waited for memory (PSI \"full\").",
    {"cgroup"},
    "memory.pressure"};
inline constexpr MetricSpec kPressureIoWaiting{
    "strata_cgroup_pressure_io_waiting_seconds_total",
    MetricType::Counter,
    "Time at least one task of the cgroup waited for IO (PSI \"some\").",
    {"cgroup"},
    "io.pressure"};
inline constexpr MetricSpec kPressureIoStalled{
    "strata_cgroup_pressure_io_stalled_seconds_total",
    MetricType::Counter,
    "Time all non-idle tasks of the cgroup waited for IO (PSI \"full\").",
    {"cgroup"},
    "io.pressure"};

inline constexpr MetricSpec kCpuRequestCores{
    "strata_cgroup_cpu_request_cores",
    MetricType::Gauge,
    "Kubernetes CPU request of a pod or container cgroup under kubepods, in cores; absent "
    "without one. v1: exact; v2: inverted from the weight, to within 15 millicores.",
    {"cgroup"},
    "v1 cpu.shares; v2 cpu.weight"};
inline constexpr MetricSpec kMemoryRequestBytes{
    "strata_cgroup_memory_request_bytes",
    MetricType::Gauge,
    "Kubernetes memory request of a pod or container cgroup under kubepods (v2, set by the "
    "kubelet's MemoryQoS); absent when 0 or unset.",
    {"cgroup"},
    "v2 memory.min, else memory.low"};

// Named "committed", not "..._sum": promtool reserves the _sum suffix for
// histograms and summaries.
inline constexpr MetricSpec kCpuLimitCoresSum{
    "strata_cgroup_committed_cpu_cores",
    MetricType::Gauge,
    "CPU limits committed on the host, each counted once: a cgroup's limit counts only when no "
    "ancestor has a CPU limit, under the kind of that topmost cgroup; sum over kind and compare "
    "with strata_host_cpus.",
    {"kind"},
    "the CPU limits of the reported cgroups and of their ancestors"};
inline constexpr MetricSpec kMemoryLimitBytesSum{
    "strata_cgroup_committed_memory_bytes",
    MetricType::Gauge,
    "Memory limits committed on the host, each counted once: a cgroup's limit counts only when "
    "no ancestor has a memory limit, under the kind of that topmost cgroup; sum over kind and "
    "compare with strata_host_memory_bytes.",
    {"kind"},
    "the memory limits of the reported cgroups and of their ancestors"};
inline constexpr MetricSpec kCpuRequestCoresSum{
    "strata_cgroup_requested_cpu_cores",
    MetricType::Gauge,
    "Kubernetes CPU requests on the host, each counted once: the topmost request of each "
    "branch (a pod's, which includes its containers'), by kind; sum over kind.",
    {"kind"},
    "the CPU requests of the reported pod and container cgroups and of their pods"};
inline constexpr MetricSpec kMemoryRequestBytesSum{
    "strata_cgroup_requested_memory_bytes",
    MetricType::Gauge,
    "Kubernetes memory requests on the host (v2), each counted once: the topmost request of "
    "each branch (a pod's, which includes its containers'), by kind; sum over kind.",
    {"kind"},
    "the memory requests of the reported pod and container cgroups and of their pods"};

inline constexpr MetricSpec kContainerInfo{
    "strata_container_info",
    MetricType::Gauge,
    "A running container as its engine describes it; id joins strata_cgroup_info. Labels "
    "allowed by --collector.cgroup.docker-labels come as label_<name>. Always 1.",
    {"id", "name", "image", "image_id"},
    "Docker Engine API GET /containers/json"};
inline constexpr MetricSpec kContainerCreated{
    "strata_container_created_timestamp_seconds",
    MetricType::Gauge,
    "When the container was created, in seconds since the epoch.",
    {"id"},
    "Docker Engine API GET /containers/json"};

inline constexpr MetricSpec kContainerStarted{
    "strata_container_started_timestamp_seconds",
    MetricType::Gauge,
    "When the container last started, in seconds since the epoch.",
    {"id"},
    "Docker Engine API GET /containers/{id}/json State.StartedAt"};
inline constexpr MetricSpec kContainerImageCreated{
    "strata_container_image_created_timestamp_seconds",
    MetricType::Gauge,
    "When the image the container runs (image_id in strata_container_info) was built, in "
    "seconds since the epoch; time() minus it is the image's age.",
    {"id"},
    "Docker Engine API GET /images/{id}/json Created"};

// Drift of a container from its image (container_drift.h).
inline constexpr char kChangesSource[] = "Docker Engine API GET /containers/{id}/changes";
inline constexpr MetricSpec kContainerDriftPaths{
    "strata_container_drift_paths",
    MetricType::Gauge,
    "Paths of the container's file system modified, added or deleted since it was created from "
    "its image (kind), as the engine's diff lists them, without those under "
    "--collector.cgroup.drift-expected-paths.",
    {"id", "kind"},
    kChangesSource};
inline constexpr MetricSpec kContainerDriftExpectedPaths{
    "strata_container_drift_expected_paths",
    MetricType::Gauge,
    "Changed paths of the container under --collector.cgroup.drift-expected-paths (or "
    "directories modified above them), which are not drift.",
    {"id"},
    kChangesSource};
inline constexpr MetricSpec kContainerDriftWatchedPaths{
    "strata_container_drift_watched_paths",
    MetricType::Gauge,
    "Drifted paths of the container under --collector.cgroup.drift-paths (the configuration "
    "trees, /etc by default), listed or not in strata_container_drift_path_info.",
    {"id"},
    kChangesSource};
inline constexpr MetricSpec kContainerDriftPathInfo{
    "strata_container_drift_path_info",
    MetricType::Gauge,
    "A drifted path of the container under --collector.cgroup.drift-paths, at most "
    "--collector.cgroup.drift-max-paths per container (the first in byte order). Always 1.",
    {"id", "path", "kind"},
    kChangesSource};
inline constexpr MetricSpec kContainerDriftSkippedPaths{
    "strata_container_drift_skipped_paths",
    MetricType::Gauge,
    "Drifted paths of the container under --collector.cgroup.drift-paths left out of "
    "strata_container_drift_path_info by --collector.cgroup.drift-max-paths.",
    {"id"},
    kChangesSource};
inline constexpr MetricSpec kContainerDriftComputed{
    "strata_container_drift_last_computed_timestamp_seconds",
    MetricType::Gauge,
    "When the container's drift series were last computed, in seconds since the epoch (at most "
    "once per --collector.cgroup.drift-interval).",
    {"id"},
    kChangesSource};

// Network I/O per container or pod (network.h): one namespace's interfaces,
// each namespace on one cgroup.
inline constexpr char kNetDevSource[] =
    "/proc/PID/net/dev of the cgroup's first task, when its /proc/PID/ns/net is not the host's";
inline constexpr MetricSpec kNetworkReceiveBytes{
    "strata_cgroup_network_receive_bytes_total",
    MetricType::Counter,
    "Bytes received by an interface of the network namespace of the cgroup's tasks (lo left "
    "out); a namespace several cgroups share is reported once, on the pod or the first cgroup.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkTransmitBytes{
    "strata_cgroup_network_transmit_bytes_total",
    MetricType::Counter,
    "Bytes transmitted by an interface of the cgroup's network namespace.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkReceivePackets{
    "strata_cgroup_network_receive_packets_total",
    MetricType::Counter,
    "Packets received by an interface of the cgroup's network namespace.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkTransmitPackets{
    "strata_cgroup_network_transmit_packets_total",
    MetricType::Counter,
    "Packets transmitted by an interface of the cgroup's network namespace.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkReceiveErrors{
    "strata_cgroup_network_receive_errors_total",
    MetricType::Counter,
    "Receive errors of an interface of the cgroup's network namespace.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkTransmitErrors{
    "strata_cgroup_network_transmit_errors_total",
    MetricType::Counter,
    "Transmit errors of an interface of the cgroup's network namespace.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkReceiveDrops{
    "strata_cgroup_network_receive_drops_total",
    MetricType::Counter,
    "Received packets dropped by an interface of the cgroup's network namespace (rx_dropped plus "
    "rx_missed_errors, as /proc/net/dev counts them).",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkTransmitDrops{
    "strata_cgroup_network_transmit_drops_total",
    MetricType::Counter,
    "Packets to transmit dropped by an interface of the cgroup's network namespace.",
    {"cgroup", "interface"},
    kNetDevSource};
inline constexpr MetricSpec kNetworkSkipped{
    "strata_cgroup_network_skipped",
    MetricType::Gauge,
    "Network series left out of this scrape: container and pod cgroups whose task exited or "
    "changed namespace between reads (vanished) or whose namespace may not be read (denied), and "
    "interfaces of one namespace beyond --collector.cgroup.network.max-interfaces (cap) or whose "
    "name, made valid UTF-8, repeats another's (duplicate).",
    {"reason"},
    "/proc/PID/ns/net, /proc/PID/net/dev"};

}  // namespace strata::cgroup_metrics
