#include "collectors/registry.h"

#include "base/build_options.h"
#include "collectors/ansible/ansible_collector.h"
#include "collectors/cfengine/cfengine_collector.h"
#include "collectors/cgroup/cgroup_collector.h"
#include "collectors/chef/chef_collector.h"
#include "collectors/host/host_collector.h"
#include "collectors/image/image_collector.h"
#if STRATA_WITH_DRIFT
#include "collectors/drift/drift_collector.h"
#endif
#if STRATA_WITH_LIBVIRT
#include "collectors/libvirt/libvirt_collector.h"
#endif
#if STRATA_WITH_PUPPET
#include "collectors/puppet/puppet_collector.h"
#endif

namespace strata {

std::vector<std::unique_ptr<CollectorModule>> AllCollectorModules() {
  std::vector<std::unique_ptr<CollectorModule>> modules;
  modules.push_back(NewHostCollectorModule());
  modules.push_back(NewCgroupCollectorModule());
#if STRATA_WITH_LIBVIRT
  modules.push_back(NewLibvirtCollectorModule());
#endif
#if STRATA_WITH_DRIFT
  modules.push_back(NewDriftCollectorModule());
#endif
  modules.push_back(NewImageCollectorModule());
  modules.push_back(NewCfengineCollectorModule());
  modules.push_back(NewAnsibleCollectorModule());
  modules.push_back(NewChefCollectorModule());
#if STRATA_WITH_PUPPET
  modules.push_back(NewPuppetCollectorModule());
#endif
  return modules;
}

}  // namespace strata
