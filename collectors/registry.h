// The table of every collector this binary knows.
#pragma once

#include <memory>
#include <vector>

#include "collectors/collector.h"

namespace strata {

// A fresh set of modules, in the order their metrics are documented.
std::vector<std::unique_ptr<CollectorModule>> AllCollectorModules();

}  // namespace strata
