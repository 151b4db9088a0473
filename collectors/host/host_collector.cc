#include "collectors/host/host_collector.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "collectors/host/host_metrics.h"
#include "collectors/host/identity.h"
#include "collectors/host/proc_parsers.h"
#include "collectors/host/virtualization.h"

namespace strata {
namespace {

class HostCollector : public Collector {
 public:
  explicit HostCollector(const CollectorContext& ctx) : fs_(ctx.fs), logger_(ctx.logger) {}

  absl::Status Collect(std::vector<prometheus::MetricFamily>& out) override {
    absl::Status status;

    Virtualization virt = ClassifyVirtualization(ReadVirtSignals(fs_, logger_));
    FamilyBuilder(host_metrics::kVirtualizationInfo)
        .Add(1, {virt.role, virt.hypervisor, virt.container_runtime})
        .EmitTo(out);

    HostIdentity identity = ReadHostIdentity(fs_, logger_);
    FamilyBuilder(host_metrics::kIdentityInfo)
        .Add(1, {identity.uuid, identity.serial, identity.machine_id})
        .EmitTo(out);

    absl::StatusOr<int> cpus =
        ReadAndParse(fs_, HostRoot::kSys, "devices/system/cpu/online", ParseCpuListCount);
    if (cpus.ok()) FamilyBuilder(host_metrics::kCpus).Add(*cpus).EmitTo(out);
    status.Update(cpus.status());

    // One read of each file for all its families, so they describe one moment.
    const absl::StatusOr<std::string> meminfo = fs_.ReadFile(HostRoot::kProc, "meminfo");
    absl::StatusOr<double> memory =
        ParseRead(fs_, HostRoot::kProc, "meminfo", meminfo, ParseMemTotalBytes);
    if (memory.ok()) FamilyBuilder(host_metrics::kMemoryBytes).Add(*memory).EmitTo(out);
    status.Update(memory.status());
    absl::StatusOr<std::optional<double>> available =
        ParseRead(fs_, HostRoot::kProc, "meminfo", meminfo, ParseMemAvailableBytes);
    if (available.ok() && available->has_value()) {
      FamilyBuilder(host_metrics::kMemoryAvailableBytes).Add(**available).EmitTo(out);
    }
    if (meminfo.ok()) status.Update(available.status());  // a failed read is reported once

    const absl::StatusOr<std::string> stat = fs_.ReadFile(HostRoot::kProc, "stat");
    absl::StatusOr<double> steal = ParseRead(fs_, HostRoot::kProc, "stat", stat, ParseStealSeconds);
    if (steal.ok()) FamilyBuilder(host_metrics::kCpuStealSeconds).Add(*steal).EmitTo(out);
    status.Update(steal.status());
    absl::StatusOr<std::vector<CpuModeSeconds>> modes =
        ParseRead(fs_, HostRoot::kProc, "stat", stat, ParseCpuModeSeconds);
    if (modes.ok()) {
      FamilyBuilder cpu_seconds(host_metrics::kCpuSeconds);
      for (const CpuModeSeconds& mode : *modes) cpu_seconds.Add(mode.seconds, {mode.mode});
      cpu_seconds.EmitTo(out);
    }
    if (stat.ok()) status.Update(modes.status());

    return status;
  }

 private:
  const HostFs& fs_;
  const Logger& logger_;
};

class HostCollectorModule : public CollectorModule {
 public:
  const CollectorInfo& info() const override { return info_; }

  absl::StatusOr<std::unique_ptr<Collector>> Create(const CollectorContext& ctx) const override {
    return std::make_unique<HostCollector>(ctx);
  }

 private:
  const CollectorInfo info_{
      "host",
      true,
      "host kind (bare metal, VM, container), identity (DMI UUID, serial, machine-id), CPUs, "
      "memory, CPU time by mode and steal, memory available",
      {&host_metrics::kVirtualizationInfo, &host_metrics::kIdentityInfo, &host_metrics::kCpus,
       &host_metrics::kMemoryBytes, &host_metrics::kMemoryAvailableBytes,
       &host_metrics::kCpuSeconds, &host_metrics::kCpuStealSeconds}};
};

}  // namespace

std::unique_ptr<CollectorModule> NewHostCollectorModule() {
  return std::make_unique<HostCollectorModule>();
}

}  // namespace strata
