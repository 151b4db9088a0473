#include "collectors/host/host_collector.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "collectors/host/host_metrics.h"
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

    absl::StatusOr<int> cpus =
        ReadAndParse(fs_, HostRoot::kSys, "devices/system/cpu/online", ParseCpuListCount);
    if (cpus.ok()) FamilyBuilder(host_metrics::kCpus).Add(*cpus).EmitTo(out);
    status.Update(cpus.status());

    absl::StatusOr<double> memory =
        ReadAndParse(fs_, HostRoot::kProc, "meminfo", ParseMemTotalBytes);
    if (memory.ok()) FamilyBuilder(host_metrics::kMemoryBytes).Add(*memory).EmitTo(out);
    status.Update(memory.status());

    absl::StatusOr<double> steal = ReadAndParse(fs_, HostRoot::kProc, "stat", ParseStealSeconds);
    if (steal.ok()) FamilyBuilder(host_metrics::kCpuStealSeconds).Add(*steal).EmitTo(out);
    status.Update(steal.status());

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
  const CollectorInfo info_{"host",
                            true,
                            "host kind (bare metal, VM, container), CPUs, memory and CPU steal",
                            {&host_metrics::kVirtualizationInfo, &host_metrics::kCpus,
                             &host_metrics::kMemoryBytes, &host_metrics::kCpuStealSeconds}};
};

}  // namespace

std::unique_ptr<CollectorModule> NewHostCollectorModule() {
  return std::make_unique<HostCollectorModule>();
}

}  // namespace strata
