// The libvirt collector: domains, their CPU, memory, disks and interfaces,
// and the host's capacity and allocation, from one bulk call per scrape.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "collectors/collector.h"

namespace strata {

struct LibvirtCollectorOptions {
  std::string uri = "qemu:///system";
  absl::Duration timeout = absl::Seconds(5);
  bool vcpu_metrics = false;
};

std::unique_ptr<CollectorModule> NewLibvirtCollectorModule();

absl::StatusOr<std::unique_ptr<Collector>> NewLibvirtCollector(
    const CollectorContext& context, const LibvirtCollectorOptions& options);

}  // namespace strata
