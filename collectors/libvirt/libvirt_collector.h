// The libvirt collector: domains, their CPU, memory, disks and interfaces,
// and the host's capacity and allocation, from one bulk call per scrape.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "collectors/collector.h"
#include "collectors/libvirt/stats_cache.h"

namespace strata {

struct LibvirtCollectorOptions {
  std::string uri = "qemu:///system";
  absl::Duration timeout = absl::Seconds(5);
  bool vcpu_metrics = false;
  // How often the slow stats groups are asked for (see StatsCache).
  SlowGroupIntervals intervals;
};

std::unique_ptr<CollectorModule> NewLibvirtCollectorModule();

absl::StatusOr<std::unique_ptr<Collector>> NewLibvirtCollector(
    const CollectorContext& context, const LibvirtCollectorOptions& options);

}  // namespace strata
