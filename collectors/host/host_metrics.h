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

inline constexpr MetricSpec kMemoryAvailableBytes{
    "strata_host_memory_available_bytes",
    MetricType::Gauge,
    "Memory available for new work without swapping (MemAvailable: free memory plus the page "
    "cache and reclaimable slab the kernel can drop); absent on kernels before 3.14.",
    {},
    "/proc/meminfo"};

inline constexpr MetricSpec kCpuSeconds{
    "strata_host_cpu_seconds_total",
    MetricType::Counter,
    "CPU time spent in each mode (user, nice, system, idle, iowait, irq, softirq, steal), summed "
    "over CPUs. Guest time is already counted in user and guest_nice in nice, so they are not "
    "modes of their own.",
    {"mode"},
    "/proc/stat (the aggregate cpu line)"};

inline constexpr MetricSpec kIdentityInfo{
    "strata_host_identity_info",
    MetricType::Gauge,
    "What identifies this host to the layer below it: uuid is the DMI system UUID in lower case "
    "(a KVM guest's equals its libvirt domain's uuid), serial the DMI serial number, machine_id "
    "systemd's /etc/machine-id; empty when absent, unreadable (the DMI files are root-only), a "
    "firmware placeholder or malformed. Always 1.",
    {"uuid", "serial", "machine_id"},
    "/sys/class/dmi/id/product_uuid, /sys/class/dmi/id/product_serial, /etc/machine-id"};

}  // namespace strata::host_metrics
