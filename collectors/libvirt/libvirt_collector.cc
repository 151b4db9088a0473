#include "collectors/libvirt/libvirt_collector.h"

#include <map>
#include <thread>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/duration_flag.h"
#include "collectors/libvirt/libvirt_metrics.h"
#include "collectors/libvirt/libvirt_session.h"
#include "collectors/options_collector_module.h"

namespace strata {
namespace {

namespace m = libvirt_metrics;

constexpr double kNanosecond = 1e-9;
constexpr double kKiB = 1024;

// One Snapshot() on a worker thread; the collector waits for it only up to
// the timeout, and a run that overran is remembered until it returns.
struct SnapshotRun {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::StatusOr<HypervisorSnapshot> result ABSL_GUARDED_BY(mu) =
      absl::UnknownError("not finished");
};

class LibvirtCollector : public Collector {
 public:
  LibvirtCollector(const CollectorContext& context, LibvirtCollectorOptions options)
      : logger_(context.logger),
        options_(std::move(options)),
        session_(std::make_shared<LibvirtSession>(options_.uri, options_.intervals)) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    absl::StatusOr<HypervisorSnapshot> snapshot = RunBounded();
    FamilyBuilder(m::kUp).Add(snapshot.ok() ? 1 : 0).EmitTo(out);
    if (!snapshot.ok()) {
      was_down_ = true;
      return snapshot.status();
    }
    if (was_down_) {
      logger_.Info("libvirt answers again", {{"collector", "libvirt"}, {"uri", options_.uri}});
      was_down_ = false;
    }
    Emit(*snapshot, out);
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<HypervisorSnapshot> RunBounded();
  void Emit(const HypervisorSnapshot& snapshot, std::vector<prometheus::MetricFamily>& out) const;

  const Logger& logger_;
  const LibvirtCollectorOptions options_;
  std::shared_ptr<LibvirtSession> session_;
  std::shared_ptr<SnapshotRun> overrun_;
  bool was_down_ = false;
};

absl::StatusOr<HypervisorSnapshot> LibvirtCollector::RunBounded() {
  if (overrun_ != nullptr) {
    absl::MutexLock lock(&overrun_->mu);
    // Never a second call while one hangs: the session is used by one thread at a time.
    if (!overrun_->done) {
      return absl::DeadlineExceededError(absl::StrCat(
          "libvirt at ", options_.uri, " has still not answered a call of an earlier scrape"));
    }
  }
  overrun_.reset();
  auto run = std::make_shared<SnapshotRun>();
  try {
    std::thread([session = session_, run] {
      absl::StatusOr<HypervisorSnapshot> result = session->Snapshot();
      absl::MutexLock lock(&run->mu);
      run->result = std::move(result);
      run->done = true;
    }).detach();
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(absl::StrCat("no thread for libvirt: ", e.what()));
  }
  absl::MutexLock lock(&run->mu);
  if (!run->mu.AwaitWithTimeout(absl::Condition(&run->done), options_.timeout)) {
    overrun_ = run;
    return absl::DeadlineExceededError(absl::StrCat("libvirt at ", options_.uri,
                                                    " did not answer within ",
                                                    absl::FormatDuration(options_.timeout)));
  }
  return std::move(run->result);
}

void LibvirtCollector::Emit(const HypervisorSnapshot& snapshot,
                            std::vector<prometheus::MetricFamily>& out) const {
  FamilyBuilder(m::kDomainsSkipped).Add(snapshot.skipped).EmitTo(out);
  FamilyBuilder(m::kHypervisorCpus).Add(snapshot.cpus).EmitTo(out);
  FamilyBuilder(m::kHypervisorMemory).Add(snapshot.memory_bytes).EmitTo(out);

  FamilyBuilder info(m::kDomainInfo), openstack(m::kDomainOpenstackInfo), state(m::kDomainState),
      vcpus(m::kDomainVcpus), vcpus_max(m::kDomainVcpusMaximum), cpu_time(m::kDomainCpuTime),
      cpu_delay(m::kDomainCpuDelay), vcpu_time(m::kVcpuTime), vcpu_wait(m::kVcpuWait),
      vcpu_delay(m::kVcpuDelay), mem_max(m::kMemoryMaximum), mem_balloon(m::kMemoryBalloon),
      mem_available(m::kMemoryAvailable), mem_usable(m::kMemoryUsable),
      mem_unused(m::kMemoryUnused), mem_rss(m::kMemoryRss), swap_in(m::kMemorySwapIn),
      swap_out(m::kMemorySwapOut), major_faults(m::kMemoryMajorFaults),
      minor_faults(m::kMemoryMinorFaults), block_info(m::kBlockInfo), rd_bytes(m::kBlockReadBytes),
      wr_bytes(m::kBlockWriteBytes), rd_reqs(m::kBlockReadRequests),
      wr_reqs(m::kBlockWriteRequests), fl_reqs(m::kBlockFlushRequests), rd_time(m::kBlockReadTime),
      wr_time(m::kBlockWriteTime), fl_time(m::kBlockFlushTime), capacity(m::kBlockCapacity),
      allocation(m::kBlockAllocation), physical(m::kBlockPhysical), rx_bytes(m::kNetReceiveBytes),
      tx_bytes(m::kNetTransmitBytes), rx_packets(m::kNetReceivePackets),
      tx_packets(m::kNetTransmitPackets), rx_errors(m::kNetReceiveErrors),
      tx_errors(m::kNetTransmitErrors), rx_drops(m::kNetReceiveDrops),
      tx_drops(m::kNetTransmitDrops);

  std::map<std::string, double> domains_by_state = {
      {"running", 0}, {"paused", 0}, {"shutoff", 0}, {"crashed", 0}};
  double vcpus_running = 0, vcpus_defined = 0, memory_running = 0, memory_defined = 0;

  for (const DomainSnapshot& d : snapshot.domains) {
    const std::string& name = d.name;
    const DomainStats& s = d.stats;
    const DomainDefinition& def = d.definition;
    const bool active = DomainStateIsActive(s.state);
    const std::string state_name = DomainStateName(s.state);

    info.Add(1, {name, d.uuid, def.os_type});
    if (def.nova.has_value()) {
      const NovaMetadata& nova = *def.nova;
      openstack.Add(1, {name, nova.instance_name, nova.flavor, nova.project_name, nova.user_name,
                        nova.project_uuid});
    }
    state.Add(1, {name, state_name, DomainStateReasonName(s.state, s.reason)});
    domains_by_state[state_name] += 1;

    // Allocation: live figures for active domains, the definition otherwise.
    const double domain_vcpus = active ? s.vcpu_current.value_or(def.vcpus) : def.vcpus;
    const double domain_memory =
        active && s.balloon_maximum_kib ? *s.balloon_maximum_kib * kKiB : def.memory_bytes;
    vcpus_defined += domain_vcpus;
    memory_defined += domain_memory;
    if (active) {
      vcpus_running += domain_vcpus;
      memory_running += domain_memory;
    }

    if (d.incomplete) continue;

    auto add = [&name](FamilyBuilder& family, const std::optional<double>& value,
                       double scale = 1) {
      if (value.has_value()) family.Add(*value * scale, {name});
    };
    add(vcpus, s.vcpu_current);
    add(vcpus_max, s.vcpu_maximum);
    if (s.cpu_time_ns) cpu_time.Add(*s.cpu_time_ns * kNanosecond, {name, "total"});
    if (s.cpu_user_ns) cpu_time.Add(*s.cpu_user_ns * kNanosecond, {name, "user"});
    if (s.cpu_system_ns) cpu_time.Add(*s.cpu_system_ns * kNanosecond, {name, "system"});
    double delay_sum = 0;
    bool has_delay = false;
    for (const VcpuStats& vcpu : s.vcpus) {
      if (vcpu.delay_ns) {
        delay_sum += *vcpu.delay_ns;
        has_delay = true;
      }
      if (!options_.vcpu_metrics) continue;
      const std::string index = std::to_string(vcpu.index);
      if (vcpu.time_ns) vcpu_time.Add(*vcpu.time_ns * kNanosecond, {name, index});
      if (vcpu.wait_ns) vcpu_wait.Add(*vcpu.wait_ns * kNanosecond, {name, index});
      if (vcpu.delay_ns) vcpu_delay.Add(*vcpu.delay_ns * kNanosecond, {name, index});
    }
    if (has_delay) cpu_delay.Add(delay_sum * kNanosecond, {name});

    add(mem_max, s.balloon_maximum_kib, kKiB);
    add(mem_balloon, s.balloon_current_kib, kKiB);
    add(mem_available, s.balloon_available_kib, kKiB);
    add(mem_usable, s.balloon_usable_kib, kKiB);
    add(mem_unused, s.balloon_unused_kib, kKiB);
    add(mem_rss, s.balloon_rss_kib, kKiB);
    add(swap_in, s.balloon_swap_in_kib, kKiB);
    add(swap_out, s.balloon_swap_out_kib, kKiB);
    add(major_faults, s.balloon_major_fault);
    add(minor_faults, s.balloon_minor_fault);

    for (const BlockStats& b : s.blocks) {
      block_info.Add(1, {name, b.name, b.path});
      auto device = [&](FamilyBuilder& family, const std::optional<double>& value,
                        double scale = 1) {
        if (value.has_value()) family.Add(*value * scale, {name, b.name});
      };
      device(rd_bytes, b.read_bytes);
      device(wr_bytes, b.write_bytes);
      device(rd_reqs, b.read_requests);
      device(wr_reqs, b.write_requests);
      device(fl_reqs, b.flush_requests);
      device(rd_time, b.read_time_ns, kNanosecond);
      device(wr_time, b.write_time_ns, kNanosecond);
      device(fl_time, b.flush_time_ns, kNanosecond);
      device(capacity, b.capacity);
      device(allocation, b.allocation);
      device(physical, b.physical);
    }
    for (const NetStats& n : s.nets) {
      auto device = [&](FamilyBuilder& family, const std::optional<double>& value) {
        if (value.has_value()) family.Add(*value, {name, n.name});
      };
      device(rx_bytes, n.rx_bytes);
      device(tx_bytes, n.tx_bytes);
      device(rx_packets, n.rx_packets);
      device(tx_packets, n.tx_packets);
      device(rx_errors, n.rx_errors);
      device(tx_errors, n.tx_errors);
      device(rx_drops, n.rx_drops);
      device(tx_drops, n.tx_drops);
    }
  }

  FamilyBuilder by_state(m::kHypervisorDomains);
  for (const auto& [state_name, count] : domains_by_state) by_state.Add(count, {state_name});
  by_state.EmitTo(out);
  FamilyBuilder(m::kHypervisorVcpusAllocated)
      .Add(vcpus_running, {"running"})
      .Add(vcpus_defined, {"defined"})
      .EmitTo(out);
  FamilyBuilder(m::kHypervisorMemoryAllocated)
      .Add(memory_running, {"running"})
      .Add(memory_defined, {"defined"})
      .EmitTo(out);
  for (FamilyBuilder* family :
       {&info,       &openstack, &state,      &vcpus,    &vcpus_max,    &cpu_time,      &cpu_delay,
        &vcpu_time,  &vcpu_wait, &vcpu_delay, &mem_max,  &mem_balloon,  &mem_available, &mem_usable,
        &mem_unused, &mem_rss,   &swap_in,    &swap_out, &major_faults, &minor_faults,  &block_info,
        &rd_bytes,   &wr_bytes,  &rd_reqs,    &wr_reqs,  &fl_reqs,      &rd_time,       &wr_time,
        &fl_time,    &capacity,  &allocation, &physical, &rx_bytes,     &tx_bytes,      &rx_packets,
        &tx_packets, &rx_errors, &tx_errors,  &rx_drops, &tx_drops}) {
    family->EmitTo(out);
  }
}

void AddLibvirtFlags(CLI::App& app, LibvirtCollectorOptions& options) {
  app.add_option("--collector.libvirt.uri", options.uri,
                 "libvirt connection URI, opened read-only.")
      ->capture_default_str();
  AddDurationFlag(app, "--collector.libvirt.timeout", options.timeout,
                  "Longest time the libvirt calls of one scrape may take.",
                  DurationFloor::kPositive)
      ->default_str("5s");
  app.add_flag("--collector.libvirt.vcpu-metrics", options.vcpu_metrics,
               "Export per-vCPU time, wait and delay (one series per vCPU each).");
  AddDurationFlag(app, "--collector.libvirt.balloon-interval", options.intervals.balloon,
                  "How often to read the balloon group (QEMU's RSS, the balloon size) of a "
                  "guest without a memory statistics period; a guest with one is read once a "
                  "period. 0s: every scrape.",
                  DurationFloor::kZeroOrMore)
      ->default_str("30s");
  AddDurationFlag(app, "--collector.libvirt.block-interval", options.intervals.block,
                  "How often to read the block group (I/O counters, capacity, allocation). 0s: "
                  "every scrape.",
                  DurationFloor::kZeroOrMore)
      ->default_str("1m");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collector>> NewLibvirtCollector(
    const CollectorContext& context, const LibvirtCollectorOptions& options) {
  if (options.uri.empty()) return absl::InvalidArgumentError("--collector.libvirt.uri is empty");
  return std::make_unique<LibvirtCollector>(context, options);
}

std::unique_ptr<CollectorModule> NewLibvirtCollectorModule() {
  return std::make_unique<OptionsCollectorModule<LibvirtCollectorOptions>>(
      CollectorInfo{"libvirt",
                    false,
                    "libvirt domains and the hypervisor's capacity and allocation",
                    {&m::kUp,
                     &m::kDomainsSkipped,
                     &m::kHypervisorCpus,
                     &m::kHypervisorMemory,
                     &m::kHypervisorDomains,
                     &m::kHypervisorVcpusAllocated,
                     &m::kHypervisorMemoryAllocated,
                     &m::kDomainInfo,
                     &m::kDomainOpenstackInfo,
                     &m::kDomainState,
                     &m::kDomainVcpus,
                     &m::kDomainVcpusMaximum,
                     &m::kDomainCpuTime,
                     &m::kDomainCpuDelay,
                     &m::kVcpuTime,
                     &m::kVcpuWait,
                     &m::kVcpuDelay,
                     &m::kMemoryMaximum,
                     &m::kMemoryBalloon,
                     &m::kMemoryAvailable,
                     &m::kMemoryUsable,
                     &m::kMemoryUnused,
                     &m::kMemoryRss,
                     &m::kMemorySwapIn,
                     &m::kMemorySwapOut,
                     &m::kMemoryMajorFaults,
                     &m::kMemoryMinorFaults,
                     &m::kBlockInfo,
                     &m::kBlockReadBytes,
                     &m::kBlockWriteBytes,
                     &m::kBlockReadRequests,
                     &m::kBlockWriteRequests,
                     &m::kBlockFlushRequests,
                     &m::kBlockReadTime,
                     &m::kBlockWriteTime,
                     &m::kBlockFlushTime,
                     &m::kBlockCapacity,
                     &m::kBlockAllocation,
                     &m::kBlockPhysical,
                     &m::kNetReceiveBytes,
                     &m::kNetTransmitBytes,
                     &m::kNetReceivePackets,
                     &m::kNetTransmitPackets,
                     &m::kNetReceiveErrors,
                     &m::kNetTransmitErrors,
                     &m::kNetReceiveDrops,
                     &m::kNetTransmitDrops}},
      AddLibvirtFlags, NewLibvirtCollector);
}

}  // namespace strata
