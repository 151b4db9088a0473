// Metrics of the libvirt collector: per domain, and for the hypervisor host.
#pragma once

#include "base/metric_spec.h"

namespace strata::libvirt_metrics {

using prometheus::MetricType;

inline constexpr char kBulk[] = "virConnectGetAllDomainStats";

// Connection and scrape.
inline constexpr MetricSpec kUp{"strata_libvirt_up",
                                MetricType::Gauge,
                                "1 when the hypervisor answered this scrape, else 0.",
                                {},
                                "virConnectOpenReadOnly, virConnectIsAlive"};
inline constexpr MetricSpec kDomainsSkipped{
    "strata_libvirt_domains_skipped",
    MetricType::Gauge,
    "Domains that could not be read this scrape (busy, or gone mid-scrape); their series are "
    "absent.",
    {},
    kBulk};

// Host.
inline constexpr MetricSpec kHypervisorCpus{"strata_hypervisor_cpus",
                                            MetricType::Gauge,
                                            "Logical CPUs of the hypervisor host.",
                                            {},
                                            "virNodeGetInfo"};
inline constexpr MetricSpec kHypervisorMemory{"strata_hypervisor_memory_bytes",
                                              MetricType::Gauge,
                                              "Memory of the hypervisor host.",
                                              {},
                                              "virNodeGetMemoryStats total, else virNodeGetInfo"};
inline constexpr MetricSpec kHypervisorDomains{
    "strata_hypervisor_domains",
    MetricType::Gauge,
    "Domains defined on the host, by state (running, paused, shutoff, crashed, ...).",
    {"state"},
    kBulk};
inline constexpr MetricSpec kHypervisorVcpusAllocated{
    "strata_hypervisor_vcpus_allocated",
    MetricType::Gauge,
    "vCPUs given to domains: scope=running for active domains, scope=defined for every domain "
    "the host would run if all started.",
    {"scope"},
    "vcpu.current; the domain XML's <vcpu>"};
inline constexpr MetricSpec kHypervisorMemoryAllocated{
    "strata_hypervisor_memory_allocated_bytes",
    MetricType::Gauge,
    "Maximum memory given to domains, scope as for strata_hypervisor_vcpus_allocated.",
    {"scope"},
    "balloon.maximum; the domain XML's <memory>"};

// Domain identity and state.
inline constexpr MetricSpec kDomainInfo{"strata_domain_info",
                                        MetricType::Gauge,
                                        "A domain's identity; always 1.",
                                        {"domain", "uuid", "os_type"},
                                        "virDomainGetUUIDString; the domain XML"};
inline constexpr MetricSpec kDomainOpenstackInfo{
    "strata_domain_openstack_info",
    MetricType::Gauge,
    "OpenStack Nova's metadata of a domain, when it has some; always 1.",
    {"domain", "instance_name", "flavor", "project_name", "user_name", "project_uuid"},
    "the domain XML's nova:instance metadata"};
inline constexpr MetricSpec kDomainState{
    "strata_domain_state",
    MetricType::Gauge,
    "The domain's state and the reason for it, as libvirt names them; always 1.",
    {"domain", "state", "reason"},
    "state.state, state.reason"};

// CPU.
inline constexpr MetricSpec kDomainVcpus{"strata_domain_vcpus",
                                         MetricType::Gauge,
                                         "vCPUs the domain has now.",
                                         {"domain"},
                                         "vcpu.current"};
inline constexpr MetricSpec kDomainVcpusMaximum{"strata_domain_vcpus_maximum",
                                                MetricType::Gauge,
                                                "vCPUs the domain can be given.",
                                                {"domain"},
                                                "vcpu.maximum"};
inline constexpr MetricSpec kDomainCpuTime{
    "strata_domain_cpu_time_seconds_total",
    MetricType::Counter,
    "CPU time of the domain on the host: mode=total is everything; user and system are its split "
    "as the kernel accounts it (do not add them to total).",
    {"domain", "mode"},
    "cpu.time, cpu.user, cpu.system"};
inline constexpr MetricSpec kDomainCpuDelay{
    "strata_domain_cpu_delay_seconds_total",
    MetricType::Counter,
    "Time the domain's vCPUs waited for a host CPU, summed over vCPUs: the steal its guest sees.",
    {"domain"},
    "vcpu.<n>.delay"};
inline constexpr MetricSpec kVcpuTime{"strata_domain_vcpu_time_seconds_total",
                                      MetricType::Counter,
                                      "CPU time of one vCPU.",
                                      {"domain", "vcpu"},
                                      "vcpu.<n>.time"};
inline constexpr MetricSpec kVcpuWait{"strata_domain_vcpu_wait_seconds_total",
                                      MetricType::Counter,
                                      "Time one vCPU waited on I/O or locks outside the guest.",
                                      {"domain", "vcpu"},
                                      "vcpu.<n>.wait"};
inline constexpr MetricSpec kVcpuDelay{
    "strata_domain_vcpu_delay_seconds_total",
    MetricType::Counter,
    "Time one vCPU was runnable but waited for a host CPU (host-side steal).",
    {"domain", "vcpu"},
    "vcpu.<n>.delay"};

// Memory.
inline constexpr MetricSpec kMemoryMaximum{"strata_domain_memory_maximum_bytes",
                                           MetricType::Gauge,
                                           "Memory the domain may use at most.",
                                           {"domain"},
                                           "balloon.maximum"};
inline constexpr MetricSpec kMemoryBalloon{
    "strata_domain_memory_balloon_bytes",
    MetricType::Gauge,
    "Memory the balloon currently gives the guest (not what the guest uses).",
    {"domain"},
    "balloon.current"};
inline constexpr MetricSpec kMemoryAvailable{
    "strata_domain_memory_available_bytes",
    MetricType::Gauge,
    "Memory the guest sees as total, from its balloon driver.",
    {"domain"},
    "balloon.available"};
inline constexpr MetricSpec kMemoryUsable{
    "strata_domain_memory_usable_bytes",
    MetricType::Gauge,
    "Memory the guest could use without swapping, from its balloon driver.",
    {"domain"},
    "balloon.usable"};
inline constexpr MetricSpec kMemoryUnused{"strata_domain_memory_unused_bytes",
                                          MetricType::Gauge,
                                          "Memory the guest leaves entirely unused.",
                                          {"domain"},
                                          "balloon.unused"};
inline constexpr MetricSpec kMemoryRss{"strata_domain_memory_rss_bytes",
                                       MetricType::Gauge,
                                       "Resident memory of the domain's process on the host.",
                                       {"domain"},
                                       "balloon.rss"};
inline constexpr MetricSpec kMemorySwapIn{"strata_domain_memory_swap_in_bytes_total",
                                          MetricType::Counter,
                                          "Memory the guest swapped in.",
                                          {"domain"},
                                          "balloon.swap_in"};
inline constexpr MetricSpec kMemorySwapOut{"strata_domain_memory_swap_out_bytes_total",
                                           MetricType::Counter,
                                           "Memory the guest swapped out.",
                                           {"domain"},
                                           "balloon.swap_out"};
inline constexpr MetricSpec kMemoryMajorFaults{"strata_domain_memory_major_faults_total",
                                               MetricType::Counter,
                                               "Page faults in the guest that needed disk I/O.",
                                               {"domain"},
                                               "balloon.major_fault"};
inline constexpr MetricSpec kMemoryMinorFaults{"strata_domain_memory_minor_faults_total",
                                               MetricType::Counter,
                                               "Page faults in the guest served from memory.",
                                               {"domain"},
                                               "balloon.minor_fault"};

// Block devices.
inline constexpr MetricSpec kBlockInfo{"strata_domain_block_info",
                                       MetricType::Gauge,
                                       "A block device of a domain and its source; always 1.",
                                       {"domain", "device", "source"},
                                       "block.<n>.name, block.<n>.path"};
inline constexpr MetricSpec kBlockReadBytes{"strata_domain_block_read_bytes_total",
                                            MetricType::Counter,
                                            "Bytes read from the device.",
                                            {"domain", "device"},
                                            "block.<n>.rd.bytes"};
inline constexpr MetricSpec kBlockWriteBytes{"strata_domain_block_write_bytes_total",
                                             MetricType::Counter,
                                             "Bytes written to the device.",
                                             {"domain", "device"},
                                             "block.<n>.wr.bytes"};
inline constexpr MetricSpec kBlockReadRequests{"strata_domain_block_read_requests_total",
                                               MetricType::Counter,
                                               "Read requests.",
                                               {"domain", "device"},
                                               "block.<n>.rd.reqs"};
inline constexpr MetricSpec kBlockWriteRequests{"strata_domain_block_write_requests_total",
                                                MetricType::Counter,
                                                "Write requests.",
                                                {"domain", "device"},
                                                "block.<n>.wr.reqs"};
inline constexpr MetricSpec kBlockFlushRequests{"strata_domain_block_flush_requests_total",
                                                MetricType::Counter,
                                                "Flush requests.",
                                                {"domain", "device"},
                                                "block.<n>.fl.reqs"};
inline constexpr MetricSpec kBlockReadTime{"strata_domain_block_read_time_seconds_total",
                                           MetricType::Counter,
                                           "Time spent reading.",
                                           {"domain", "device"},
                                           "block.<n>.rd.times"};
inline constexpr MetricSpec kBlockWriteTime{"strata_domain_block_write_time_seconds_total",
                                            MetricType::Counter,
                                            "Time spent writing.",
                                            {"domain", "device"},
                                            "block.<n>.wr.times"};
inline constexpr MetricSpec kBlockFlushTime{"strata_domain_block_flush_time_seconds_total",
                                            MetricType::Counter,
                                            "Time spent flushing.",
                                            {"domain", "device"},
                                            "block.<n>.fl.times"};
inline constexpr MetricSpec kBlockCapacity{"strata_domain_block_capacity_bytes",
                                           MetricType::Gauge,
                                           "Size of the device as the guest sees it.",
                                           {"domain", "device"},
                                           "block.<n>.capacity"};
inline constexpr MetricSpec kBlockAllocation{"strata_domain_block_allocation_bytes",
                                             MetricType::Gauge,
                                             "Highest offset written in the device's image.",
                                             {"domain", "device"},
                                             "block.<n>.allocation"};
inline constexpr MetricSpec kBlockPhysical{"strata_domain_block_physical_bytes",
                                           MetricType::Gauge,
                                           "Size of the device's image on the host.",
                                           {"domain", "device"},
                                           "block.<n>.physical"};

// Network interfaces.
inline constexpr MetricSpec kNetReceiveBytes{"strata_domain_interface_receive_bytes_total",
                                             MetricType::Counter,
                                             "Bytes received.",
                                             {"domain", "device"},
                                             "net.<n>.rx.bytes"};
inline constexpr MetricSpec kNetTransmitBytes{"strata_domain_interface_transmit_bytes_total",
                                              MetricType::Counter,
                                              "Bytes transmitted.",
                                              {"domain", "device"},
                                              "net.<n>.tx.bytes"};
inline constexpr MetricSpec kNetReceivePackets{"strata_domain_interface_receive_packets_total",
                                               MetricType::Counter,
                                               "Packets received.",
                                               {"domain", "device"},
                                               "net.<n>.rx.pkts"};
inline constexpr MetricSpec kNetTransmitPackets{"strata_domain_interface_transmit_packets_total",
                                                MetricType::Counter,
                                                "Packets transmitted.",
                                                {"domain", "device"},
                                                "net.<n>.tx.pkts"};
inline constexpr MetricSpec kNetReceiveErrors{"strata_domain_interface_receive_errors_total",
                                              MetricType::Counter,
                                              "Receive errors.",
                                              {"domain", "device"},
                                              "net.<n>.rx.errs"};
inline constexpr MetricSpec kNetTransmitErrors{"strata_domain_interface_transmit_errors_total",
                                               MetricType::Counter,
                                               "Transmit errors.",
                                               {"domain", "device"},
                                               "net.<n>.tx.errs"};
inline constexpr MetricSpec kNetReceiveDrops{"strata_domain_interface_receive_drops_total",
                                             MetricType::Counter,
                                             "Received packets dropped.",
                                             {"domain", "device"},
                                             "net.<n>.rx.drop"};
inline constexpr MetricSpec kNetTransmitDrops{"strata_domain_interface_transmit_drops_total",
                                              MetricType::Counter,
                                              "Transmitted packets dropped.",
                                              {"domain", "device"},
                                              "net.<n>.tx.drop"};

}  // namespace strata::libvirt_metrics
