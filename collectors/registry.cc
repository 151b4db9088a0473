#include "collectors/registry.h"

#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/host/host_collector.h"
#include "collectors/libvirt/libvirt_collector.h"

namespace strata {

std::vector<std::unique_ptr<CollectorModule>> AllCollectorModules() {
  std::vector<std::unique_ptr<CollectorModule>> modules;
  modules.push_back(NewHostCollectorModule());
  modules.push_back(NewCgroupCollectorModule());
  modules.push_back(NewLibvirtCollectorModule());
  return modules;
}

}  // namespace strata
