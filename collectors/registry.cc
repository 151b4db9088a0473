#include "collectors/registry.h"

#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/convergence/ansible_collector.h"
#include "collectors/convergence/cfengine_collector.h"
#include "collectors/convergence/chef_collector.h"
#include "collectors/convergence/drift_collector.h"
#include "collectors/convergence/image_collector.h"
#include "collectors/convergence/puppet_collector.h"
#include "collectors/host/host_collector.h"
#include "collectors/libvirt/libvirt_collector.h"

namespace strata {

std::vector<std::unique_ptr<CollectorModule>> AllCollectorModules() {
  std::vector<std::unique_ptr<CollectorModule>> modules;
  modules.push_back(NewHostCollectorModule());
  modules.push_back(NewCgroupCollectorModule());
  modules.push_back(NewLibvirtCollectorModule());
  modules.push_back(NewDriftCollectorModule());
  modules.push_back(NewImageCollectorModule());
  modules.push_back(NewCfengineCollectorModule());
  modules.push_back(NewAnsibleCollectorModule());
  modules.push_back(NewChefCollectorModule());
  modules.push_back(NewPuppetCollectorModule());
  return modules;
}

}  // namespace strata
