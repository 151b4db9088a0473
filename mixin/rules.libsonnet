// Recording rules (group strata.recording). Every series keeps the labels
// that identify its host (the cluster label, instance, job); joins are on them.
// Fleet counts are per cluster.
local promql = import 'lib/promql.libsonnet';

{
  prometheusRules+:: {
    local cfg = $._config,
    local sel(extra=[]) = promql.sel(cfg, extra),
    local host = promql.labelList(promql.hostLabels(cfg)),
    local clusters = promql.clusterLabels(cfg),
    local w = cfg.rateWindow,
    local W = cfg.rightsizingWindow,
    local on(extra) = promql.labelList(promql.hostLabels(cfg, extra)),
    // A VM joined to its guest: the hypervisor's host labels, the domain,
    // its uuid and the guest's instance.
    local vm = on(['domain', 'uuid', 'guest_instance']),
    local guestOn = promql.labelList(clusters + ['guest_instance']),
    // A hypervisor-side series of a domain (cluster, instance, job, domain),
    // for the domains whose guest runs the exporter too.
    local hostSide(expr) = |||
      %(expr)s
        * on(%(on)s) group_left(uuid, guest_instance)
      strata:vm_guest:info%(s)s
    ||| % { expr: expr, on: on(['domain']), s: sel() },
    // A guest-side series (cluster, instance, job of the guest) moved onto its
    // domain: the guest's instance becomes guest_instance; max collapses one
    // guest scraped by several jobs.
    local guestSide(expr) = |||
      strata:vm_guest:info%(s)s
        * on(%(guestOn)s) group_left
      max by (%(guestOn)s) (
        label_replace(%(expr)s, "guest_instance", "$1", "instance", "(.*)")
      )
    ||| % { expr: expr, guestOn: guestOn, s: sel() },
    local containers = 'strata_cgroup_info%s' % sel(['kind="container"']),
    local clusterSum(expr) = promql.aggregate('sum', clusters) + '(%s)' % expr,

    groups+: [
      {
        name: 'strata.recording',
        rules: [
          // --- Overcommit per hypervisor (scope: running = active domains, defined = all domains) ---
          {
            record: 'strata:hypervisor_vcpu_overcommit:ratio',
            expr: |||
              strata_hypervisor_vcpus_allocated%(s)s
                / on(%(host)s) group_left
              strata_hypervisor_cpus%(s)s
            ||| % { s: sel(), host: host },
          },
          {
            record: 'strata:hypervisor_memory_overcommit:ratio',
            expr: |||
              strata_hypervisor_memory_allocated_bytes%(s)s
                / on(%(host)s) group_left
              strata_hypervisor_memory_bytes%(s)s
            ||| % { s: sel(), host: host },
          },

          // --- Container commitment per host: sum of container limits / host capacity ---
          {
            record: 'strata:host_container_cpu_commitment:ratio',
            expr: |||
              strata_cgroup_committed_cpu_cores%(container)s
                / on(%(host)s) group_left
              strata_host_cpus%(s)s
            ||| % { s: sel(), container: sel(['kind="container"']), host: host },
          },
          {
            record: 'strata:host_container_memory_commitment:ratio',
            expr: |||
              strata_cgroup_committed_memory_bytes%(container)s
                / on(%(host)s) group_left
              strata_host_memory_bytes%(s)s
            ||| % { s: sel(), container: sel(['kind="container"']), host: host },
          },

          // --- Host use: what the host's own kernel counts, for every kind of host ---
          // CPU: cores busy, summed over the non-idle modes. iowait is idle time
          // (the CPU had nothing to run while I/O was outstanding), and steal is
          // time the hypervisor gave to someone else while this guest's vCPUs
          // waited: not this host's work, and counted where it ran (the other
          // guest, or the hypervisor's own use); strata:host_cpu_steal:ratio
          // shows it.
          {
            record: 'strata:host_cpu_used:cores',
            expr: |||
              sum without(mode) (rate(strata_host_cpu_seconds_total%(busy)s[%(w)s]))
            ||| % { busy: sel(['mode!~"idle|iowait|steal"']), w: w },
          },
          // Memory: total minus what the kernel could give to new work without
          // swapping (MemAvailable), so page cache it can drop is not used.
          {
            record: 'strata:host_memory_used:bytes',
            expr: |||
              strata_host_memory_bytes%(s)s
                - on(%(host)s)
              strata_host_memory_available_bytes%(s)s
            ||| % { s: sel(), host: host },
          },

          // --- Utilisation efficiency: used / allocated, per domain ---
          // CPU: host CPU time of the domain per second / its vCPUs (1 = every vCPU busy).
          {
            record: 'strata:domain_cpu_utilisation:ratio',
            expr: |||
              sum without(mode) (rate(strata_domain_cpu_time_seconds_total%(total)s[%(w)s]))
                /
              strata_domain_vcpus%(s)s
            ||| % { s: sel(), total: sel(['mode="total"']), w: w },
          },
          // Memory: what the guest uses (its total minus what it leaves entirely
          // unused, from its balloon driver) / the domain's maximum. Page cache
          // counts as used, so this is an upper bound of what the guest needs.
          // Absent for guests without balloon statistics.
          {
            record: 'strata:domain_memory_utilisation:ratio',
            expr: |||
              (strata_domain_memory_available_bytes%(s)s - strata_domain_memory_unused_bytes%(s)s)
                /
              strata_domain_memory_maximum_bytes%(s)s
            ||| % { s: sel() },
          },

          // --- Utilisation efficiency: used / limit, per cgroup that has a limit ---
          {
            record: 'strata:cgroup_cpu_utilisation:ratio',
            expr: |||
              sum without(mode) (rate(strata_cgroup_cpu_usage_seconds_total%(s)s[%(w)s]))
                /
              strata_cgroup_cpu_limit_cores%(s)s
            ||| % { s: sel(), w: w },
          },
          {
            record: 'strata:cgroup_memory_utilisation:ratio',
            expr: |||
              strata_cgroup_memory_working_set_bytes%(s)s
                /
              strata_cgroup_memory_limit_bytes%(s)s
            ||| % { s: sel() },
          },

          // --- Steal: time runnable vCPUs waited for a host CPU, per CPU ---
          // Seen from inside a guest (the host collector on a VM) ...
          {
            record: 'strata:host_cpu_steal:ratio',
            expr: |||
              rate(strata_host_cpu_steal_seconds_total%(s)s[%(w)s])
                /
              strata_host_cpus%(s)s
            ||| % { s: sel(), w: w },
          },
          // ... and from the hypervisor, per domain.
          {
            record: 'strata:domain_cpu_delay:ratio',
            expr: |||
              rate(strata_domain_cpu_delay_seconds_total%(s)s[%(w)s])
                /
              strata_domain_vcpus%(s)s
            ||| % { s: sel(), w: w },
          },

          // --- VMs joined to their guests, across instances ---
          // The guest's DMI system UUID (host collector, inside the VM) is its
          // libvirt domain's uuid (libvirt collector, on the hypervisor): one
          // series per domain whose guest also runs the exporter, with the
          // hypervisor's labels, the domain, the uuid and the guest's
          // instance as guest_instance. Both sides must carry the same
          // cluster label. Value 1. A UUID that more than one guest reports
          // (guests cloned with their SMBIOS UUID) is left out: joined, it
          // would make the whole rule fail for the cluster.
          {
            record: 'strata:vm_guest:info',
            expr: |||
              max by (%(domainBy)s) (strata_domain_info%(uuid)s)
                * on(%(cu)s) group_left(guest_instance)
              (
                %(guests)s
                  and on(%(cu)s)
                (count by (%(cu)s) (%(guests)s) == 1)
              )
            ||| % {
              uuid: sel(['uuid!=""']),
              domainBy: on(['domain', 'uuid']),
              cu: promql.labelList(clusters + ['uuid']),
              guests: 'max by (%s) (label_replace(strata_host_identity_info%s, "guest_instance", "$1", "instance", "(.*)"))' % [
                promql.labelList(clusters + ['uuid', 'guest_instance']),
                sel(['uuid!=""']),
              ],
            },
          },
          // vCPUs and maximum memory the hypervisor gave the VM.
          {
            record: 'strata:vm_cpu_allocated:cores',
            expr: hostSide('strata_domain_vcpus%s' % sel()),
          },
          {
            record: 'strata:vm_memory_allocated:bytes',
            expr: hostSide('strata_domain_memory_maximum_bytes%s' % sel()),
          },
          // CPU used as the host sees it: the domain's CPU time per second
          // (vCPU threads, plus the emulator's and I/O threads').
          {
            record: 'strata:vm_cpu_used_host:cores',
            expr: hostSide('sum without(mode) (rate(strata_domain_cpu_time_seconds_total%s[%s]))' %
                           [sel(['mode="total"']), w]),
          },
          // CPU and memory used as the guest sees them (its own kernel's counters).
          {
            record: 'strata:vm_cpu_used_guest:cores',
            expr: guestSide('strata:host_cpu_used:cores%s' % sel()),
          },
          {
            record: 'strata:vm_memory_used_guest:bytes',
            expr: guestSide('strata:host_memory_used:bytes%s' % sel()),
          },
          // Steal inside (the guest waited for a physical CPU) against delay
          // outside (the hypervisor's count of the same wait), in cores.
          {
            record: 'strata:vm_cpu_steal_guest:cores',
            expr: guestSide('rate(strata_host_cpu_steal_seconds_total%s[%s])' % [sel(), w]),
          },
          {
            record: 'strata:vm_cpu_delay_host:cores',
            expr: hostSide('rate(strata_domain_cpu_delay_seconds_total%s[%s])' % [sel(), w]),
          },
          // The CPU limits committed inside the guest (each limit once, every
          // kind), in cores and per vCPU behind them.
          {
            record: 'strata:vm_container_cpu_committed:cores',
            expr: guestSide('sum by (%s) (strata_cgroup_committed_cpu_cores%s)' % [host, sel()]),
          },
          {
            record: 'strata:vm_container_cpu_commitment:ratio',
            expr: |||
              strata:vm_container_cpu_committed:cores%(s)s
                / on(%(vm)s)
              strata:vm_cpu_allocated:cores%(s)s
            ||| % { s: sel(), vm: vm },
          },

          // --- Right-sizing: given but idle on average over rightsizingWindow ---
          // avg_over_time of the 5m recording rules above (see rightsizingWindow
          // in config.libsonnet for why), never below 0.
          // Per host: its CPUs and memory (physical on bare metal, virtual in a VM).
          {
            record: 'strata:host_cpu_idle:cores',
            expr: |||
              clamp_min(
                strata_host_cpus%(s)s
                  - on(%(host)s)
                avg_over_time(strata:host_cpu_used:cores%(s)s[%(W)s]),
                0
              )
            ||| % { s: sel(), host: host, W: W },
          },
          {
            record: 'strata:host_memory_idle:bytes',
            expr: |||
              clamp_min(
                strata_host_memory_bytes%(s)s
                  - on(%(host)s)
                avg_over_time(strata:host_memory_used:bytes%(s)s[%(W)s]),
                0
              )
            ||| % { s: sel(), host: host, W: W },
          },
          // Per VM: vCPUs minus what the host saw it use (every domain, no
          // guest exporter needed) ...
          {
            record: 'strata:vm_cpu_idle:cores',
            expr: |||
              clamp_min(
                strata_domain_vcpus%(s)s
                  * on(%(dom)s)
                (1 - avg_over_time(strata:domain_cpu_utilisation:ratio%(s)s[%(W)s])),
                0
              )
            ||| % { s: sel(), dom: on(['domain']), W: W },
          },
          // ... and maximum memory minus what the guest used (joined VMs).
          {
            record: 'strata:vm_memory_idle:bytes',
            expr: |||
              clamp_min(
                strata:vm_memory_allocated:bytes%(s)s
                  - on(%(vm)s)
                avg_over_time(strata:vm_memory_used_guest:bytes%(s)s[%(W)s]),
                0
              )
            ||| % { s: sel(), vm: vm, W: W },
          },
          // Per container (cgroups of kind container with a limit): limit minus use.
          {
            record: 'strata:container_cpu_idle:cores',
            expr: |||
              clamp_min(
                strata_cgroup_cpu_limit_cores%(s)s
                  * on(%(cg)s)
                (1 - avg_over_time(strata:cgroup_cpu_utilisation:ratio%(s)s[%(W)s])),
                0
              )
              and on(%(cg)s) %(containers)s
            ||| % { s: sel(), cg: on(['cgroup']), W: W, containers: containers },
          },
          {
            record: 'strata:container_memory_idle:bytes',
            expr: |||
              clamp_min(
                strata_cgroup_memory_limit_bytes%(s)s
                  * on(%(cg)s)
                (1 - avg_over_time(strata:cgroup_memory_utilisation:ratio%(s)s[%(W)s])),
                0
              )
              and on(%(cg)s) %(containers)s
            ||| % { s: sel(), cg: on(['cgroup']), W: W, containers: containers },
          },
          // Stranded capacity per cluster, one layer at a time (summing layers
          // would count a VM's idle vCPUs again in its hypervisor's idle CPUs):
          // physical = bare-metal hosts (hypervisors included) ...
          {
            record: 'strata:cluster_physical_cpu_idle:cores',
            expr: clusterSum('strata:host_cpu_idle:cores%s and on(%s) strata_host_virtualization_info%s' %
                             [sel(), host, sel(['role="bare-metal"'])]),
          },
          {
            record: 'strata:cluster_physical_memory_idle:bytes',
            expr: clusterSum('strata:host_memory_idle:bytes%s and on(%s) strata_host_virtualization_info%s' %
                             [sel(), host, sel(['role="bare-metal"'])]),
          },
          // ... VMs ...
          {
            record: 'strata:cluster_vm_cpu_idle:cores',
            expr: clusterSum('strata:vm_cpu_idle:cores%s' % sel()),
          },
          {
            record: 'strata:cluster_vm_memory_idle:bytes',
            expr: clusterSum('strata:vm_memory_idle:bytes%s' % sel()),
          },
          // ... containers.
          {
            record: 'strata:cluster_container_cpu_idle:cores',
            expr: clusterSum('strata:container_cpu_idle:cores%s' % sel()),
          },
          {
            record: 'strata:cluster_container_memory_idle:bytes',
            expr: clusterSum('strata:container_memory_idle:bytes%s' % sel()),
          },

          // --- Fleet image sprawl, per cluster ---
          {
            record: 'strata:image_version_hosts:count',
            expr: promql.aggregate('count', clusters + ['image_id', 'image_version']) +
                  '(strata_image_info%s)' % sel(),
          },
          // Hosts without an image version (no stamp, no IMAGE_VERSION) are
          // not a version of their own.
          {
            record: 'strata:image_versions:count',
            expr: promql.aggregate('count', clusters) + '(' +
                  promql.aggregate('count', clusters + ['image_version']) +
                  '(strata_image_info%s))' % sel(['image_version!=""']),
          },

          // --- Container image sprawl and drift, per cluster ---
          // Each running container with the repository of its image: the
          // reference without tag and digest ("registry:5000/team/app:1.2@sha256:..."
          // is "registry:5000/team/app"); image_id is the build it runs.
          {
            record: 'strata:container_image:info',
            expr: 'label_replace(strata_container_info%s, "repository", "$1", "image", "%s")' %
                  [sel(), '(.+?)(?::[^:/@]+)?(?:@.+)?'],
          },
          // Containers and hosts running each build of each repository.
          {
            record: 'strata:container_image_digest_containers:count',
            expr: promql.aggregate('count', clusters + ['repository', 'image_id']) +
                  '(strata:container_image:info)',
          },
          {
            record: 'strata:container_image_digest_hosts:count',
            expr: promql.aggregate('count', clusters + ['repository', 'image_id']) + '(' +
                  promql.aggregate('count', promql.hostLabels(cfg, ['repository', 'image_id'])) +
                  '(strata:container_image:info))',
          },
          // Distinct builds running per repository, and distinct images in all.
          {
            record: 'strata:container_image_digests:count',
            expr: promql.aggregate('count', clusters + ['repository']) +
                  '(strata:container_image_digest_containers:count)',
          },
          {
            record: 'strata:container_images:count',
            expr: promql.aggregate('count', clusters) + '(' +
                  promql.aggregate('count', clusters + ['image_id']) +
                  '(strata:container_image:info))',
          },
          // Containers whose configuration trees drifted from their image.
          {
            record: 'strata:containers_drifted:count',
            expr: promql.aggregate('count', clusters) +
                  '(strata_container_drift_watched_paths%s > 0)' % sel(),
          },

          // --- Convergence health per tool and cluster ---
          {
            record: 'strata:convergence_success:ratio',
            expr: promql.aggregate('avg', clusters + ['tool']) +
                  '(strata_convergence_last_run_success%s)' % sel(),
          },
          {
            record: 'strata:convergence_hosts:count',
            expr: promql.aggregate('count', clusters + ['tool']) +
                  '(strata_convergence_last_run_timestamp_seconds%s)' % sel(),
          },
        ],
      },
    ],
  },
}
