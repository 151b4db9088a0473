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
