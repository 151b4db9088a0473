// The host collector: what kind of host this is (bare metal, VM, container,
// container in a VM), its online CPUs, memory and CPU steal.
#pragma once

#include <memory>

#include "collectors/collector.h"

namespace strata {

std::unique_ptr<CollectorModule> NewHostCollectorModule();

}  // namespace strata
