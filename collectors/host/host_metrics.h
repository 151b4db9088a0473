// Metrics of the host collector.
#pragma once

#include "base/metric_spec.h"

namespace strata::host_metrics {

using prometheus::MetricType;

inline constexpr MetricSpec kVirtualizationInfo{
    "strata_host_virtualization_info",
    MetricType::Gauge,
    "Where the exporter runs: role is bare-metal, vm, container or container-in-vm; hypervisor "
    "and container_runtime use systemd-detect-virt's names, or none.",
    {"role", "hypervisor", "container_runtime"},
    "DMI, cpuinfo flags, clock sources, /proc/1/environ, /.dockerenv, /run/.containerenv"};

inline constexpr MetricSpec kCpus{"strata_host_cpus",
                                  MetricType::Gauge,
                                  "Online logical CPUs.",
                                  {},
                                  "/sys/devices/system/cpu/online"};

inline constexpr MetricSpec kMemoryBytes{"strata_host_memory_bytes",
                                         MetricType::Gauge,
                                         "Total usable memory (MemTotal).",
                                         {},
                                         "/proc/meminfo"};

inline constexpr MetricSpec kCpuStealSeconds{
    "strata_host_cpu_steal_seconds_total",
    MetricType::Counter,
    "Time the hypervisor ran something else while this host's vCPUs wanted to run, summed over "
    "CPUs.",
    {},
    "/proc/stat"};

}  // namespace strata::host_metrics
