#include "collectors/registry.h"

#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/host/host_collector.h"

namespace strata {

std::vector<std::unique_ptr<CollectorModule>> AllCollectorModules() {
  std::vector<std::unique_ptr<CollectorModule>> modules;
  modules.push_back(NewHostCollectorModule());
  modules.push_back(NewCgroupCollectorModule());
  return modules;
}

}  // namespace strata
