// The host collector: what kind of host this is (bare metal, VM, container,
// container in a VM), what identifies it to its hypervisor, its online CPUs,
// CPU time by mode, memory and memory available.
#pragma once

#include <memory>

#include "collectors/collector.h"

namespace strata {

std::unique_ptr<CollectorModule> NewHostCollectorModule();

}  // namespace strata
