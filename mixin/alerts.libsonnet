// Alerting rules (group strata.alerts). Thresholds, `for` and severities come
// from _config.alerts (config.libsonnet); every alert gets its runbook URL
// from _config.runbookURLPattern. Joins carry the cluster label.
local promql = import 'lib/promql.libsonnet';

{
  prometheusAlerts+:: {
    local cfg = $._config,
    local sel(extra=[]) = promql.sel(cfg, extra),
    local hostAnd(extra=[]) = promql.labelList(promql.hostLabels(cfg, extra)),
    local n = promql.num,

    // An alert from its name (without prefix), its expression and its
    // summary and description; the rest comes from the configuration.
    local alert(name, expr, summary, description) = {
      local c = cfg.alerts[name],
      alert: cfg.alertNamePrefix + name,
      expr: expr,
      'for': c['for'],
      labels: { severity: c.severity } + cfg.alertLabels,
      annotations: {
        summary: summary,
        description: description,
        runbook_url: cfg.runbookURLPattern % std.asciiLower(name),
      },
    },

    local stale = cfg.alerts.ConvergenceStale,
    local staleTools = std.objectFields(stale.toolSeconds),
    local otherTools =
      if std.length(staleTools) == 0 then []
      else if std.length(staleTools) == 1 then ['tool!="%s"' % staleTools[0]]
      else ['tool!~"%s"' % promql.alternatives(staleTools)],
    local throttling = cfg.alerts.CgroupCPUThrottlingHigh,

    groups+: [
      {
        name: 'strata.alerts',
        rules: [
          // ------------------------------------------------------------------ convergence
          alert(
            'ConvergenceStale',
            std.join('or\n', [
              '(time() - strata_convergence_last_run_timestamp_seconds%s > %s)\n' %
              [sel(['tool="%s"' % tool]), n(stale.toolSeconds[tool])]
              for tool in staleTools
            ] + [
              '(time() - strata_convergence_last_run_timestamp_seconds%s > %s)\n' %
              [sel(otherTools), n(stale.seconds)],
            ]),
            '{{ $labels.tool }} has not run on {{ $labels.instance }} for too long.',
            'The last {{ $labels.tool }} run on {{ $labels.instance }} ended {{ $value | humanizeDuration }} ago: the host is no longer being converged (agent stopped, disabled, or unable to compile its catalog).',
          ),
          alert(
            'ConvergenceFailing',
            'strata_convergence_last_run_success%s == 0' % sel(),
            '{{ $labels.tool }} runs are failing on {{ $labels.instance }}.',
            'The last {{ $labels.tool }} run on {{ $labels.instance }} failed, and runs have kept failing since; the host is not converged.',
          ),
          alert(
            'ConfigDriftDetected',
            // A dry run that found differences, or a real Puppet run that
            // left noop events behind: resources marked `noop => true` are
            // not changed outside --noop either, and only the report's
            // noop_pending says so (strata_convergence_noop is then 0).
            |||
              (
                  strata_convergence_noop%(s)s == 1
                    and on(%(on)s)
                  (
                      strata_convergence_resources%(puppet)s > 0
                    or
                      strata_convergence_resources%(ansible)s > 0
                  )
              )
              or
              (
                  strata_convergence_noop%(puppetRun)s
                    and on(%(host)s)
                  strata_puppet_noop_pending%(s)s == 1
              )
            ||| % {
              s: sel(),
              on: hostAnd(['tool']),
              host: hostAnd(),
              puppet: sel(['tool="puppet"', 'state="out_of_sync"']),
              ansible: sel(['tool="ansible"', 'state="changed"']),
              puppetRun: sel(['tool="puppet"']),
            },
            'Configuration drift on {{ $labels.instance }} ({{ $labels.tool }}).',
            'The last {{ $labels.tool }} run on {{ $labels.instance }} left resources that differ from the desired configuration unchanged (a dry run, or resources marked noop).',
          ),
          alert(
            'PuppetAgentDisabledTooLong',
            |||
              (time() - strata_puppet_disabled_since_timestamp_seconds%(s)s > %(seconds)s)
                and on(%(on)s)
              strata_convergence_agent_disabled%(puppet)s == 1
            ||| % {
              s: sel(),
              seconds: n(cfg.alerts.PuppetAgentDisabledTooLong.seconds),
              on: hostAnd(),
              puppet: sel(['tool="puppet"']),
            },
            'The Puppet agent on {{ $labels.instance }} has been disabled for too long.',
            'The Puppet agent on {{ $labels.instance }} was disabled {{ $value | humanizeDuration }} ago and has not been enabled again; the host is not being converged.',
          ),

          // ------------------------------------------------------------------ baselines and images
          alert(
            'FileBaselineDrift',
            'strata_drift_files%s > 0' % sel(['state=~"modified|missing|unreadable"']),
            'Files of baseline {{ $labels.baseline }} are {{ $labels.state }} on {{ $labels.instance }}.',
            '{{ $value }} file(s) of baseline {{ $labels.baseline }} on {{ $labels.instance }} are {{ $labels.state }}.',
          ),
          alert(
            'PackageBaselineDrift',
            'strata_drift_packages%s > 0' % sel(['state=~"version_differs|missing|unexpected"']),
            'Packages of baseline {{ $labels.baseline }} are {{ $labels.state }} on {{ $labels.instance }}.',
            '{{ $value }} package(s) of baseline {{ $labels.baseline }} on {{ $labels.instance }} are {{ $labels.state }}.',
          ),
          // Distinct image versions in use, per image (image_id) and cluster,
          // across every scraped host. Hosts without IMAGE_VERSION
          // (image_version="") are not counted as a version. The recorded
          // series have no job label, so the strata selector does not apply.
          alert(
            'ImageSprawl',
            promql.aggregate('count', promql.clusterLabels(cfg) + ['image_id']) +
            '(strata:image_version_hosts:count{image_version!=""}) > %s' %
            n(cfg.alerts.ImageSprawl.versions),
            'Too many versions of image {{ $labels.image_id }} are running.',
            '{{ $value }} distinct versions of image {{ $labels.image_id }} are running across the fleet.',
          ),

          // ------------------------------------------------------------------ containers and their images
          // Distinct builds (image ids) of one repository running across the
          // cluster's containers. Recorded series: no job label.
          alert(
            'ContainerImageSprawl',
            'strata:container_image_digests:count > %s' %
            n(cfg.alerts.ContainerImageSprawl.digests),
            'Too many builds of container image {{ $labels.repository }} are running.',
            '{{ $value }} distinct builds (image ids) of {{ $labels.repository }} run in containers across the fleet: the same software at different versions and patch levels. info: a clean-up to plan, not an outage.',
          ),
          alert(
            'ContainerImageTooOld',
            |||
              (time() - strata_container_image_created_timestamp_seconds%(s)s > %(seconds)s)
                * on(%(on)s) group_left(name, image)
              strata_container_info%(s)s
            ||| % {
              s: sel(),
              seconds: n(cfg.alerts.ContainerImageTooOld.seconds),
              on: hostAnd(['id']),
            },
            'Container {{ $labels.name }} on {{ $labels.instance }} runs an old image.',
            'Container {{ $labels.name }} on {{ $labels.instance }} runs {{ $labels.image }}, built {{ $value | humanizeDuration }} ago: it misses every fix since. info: rebuild and redeploy when convenient; nothing is down.',
          ),
          alert(
            'ContainerDriftedFromImage',
            |||
              (strata_container_drift_watched_paths%(s)s > 0)
                * on(%(on)s) group_left(name, image)
              strata_container_info%(s)s
            ||| % { s: sel(), on: hostAnd(['id']) },
            'Container {{ $labels.name }} on {{ $labels.instance }} has drifted from its image.',
            '{{ $value }} path(s) in the configuration trees of container {{ $labels.name }} ({{ $labels.image }}) on {{ $labels.instance }} differ from its image: changed by hand or by the software inside, unreviewed, and undone by the next redeploy. warning, not critical: it pages only where the mixin is configured so, for containers that must be immutable.',
          ),

          // ------------------------------------------------------------------ hypervisors
          alert(
            'HypervisorVCPUOvercommitHigh',
            'strata:hypervisor_vcpu_overcommit:ratio%s > %s' %
            [sel(['scope="running"']), n(cfg.alerts.HypervisorVCPUOvercommitHigh.threshold)],
            'Hypervisor {{ $labels.instance }} runs too many vCPUs per CPU.',
            'Running domains on {{ $labels.instance }} have {{ $value | printf "%.2f" }} vCPUs per physical CPU.',
          ),
          alert(
            'HypervisorMemoryOvercommitHigh',
            'strata:hypervisor_memory_overcommit:ratio%s > %s' %
            [sel(['scope="running"']), n(cfg.alerts.HypervisorMemoryOvercommitHigh.threshold)],
            'Hypervisor {{ $labels.instance }} gives running domains more memory than it has.',
            "Running domains on {{ $labels.instance }} may use {{ $value | humanizePercentage }} of the host's memory.",
          ),
          // Series without a domain label: steal seen inside a guest (host
          // collector); series with one: a domain's vCPU delay seen from the
          // hypervisor (libvirt collector).
          alert(
            'GuestCPUStealHigh',
            '(strata:host_cpu_steal:ratio%s or strata:domain_cpu_delay:ratio%s) > %s' %
            [sel(), sel(), n(cfg.alerts.GuestCPUStealHigh.threshold)],
            '{{ if $labels.domain }}Domain {{ $labels.domain }} on {{ $labels.instance }}{{ else }}{{ $labels.instance }}{{ end }} waits for host CPUs.',
            '{{ if $labels.domain }}The vCPUs of domain {{ $labels.domain }} on {{ $labels.instance }}{{ else }}The CPUs of {{ $labels.instance }}{{ end }} spend {{ $value | humanizePercentage }} of their time waiting for a physical CPU (steal).',
          ),
          // Paused for a reason an operator or libvirt chose (ignoredPauseReasons)
          // is not alerted on.
          alert(
            'DomainCrashedOrPaused',
            |||
              strata_domain_state%(crashed)s == 1
              or
              strata_domain_state%(shutoff)s == 1
              or
              strata_domain_state%(paused)s == 1
            ||| % {
              crashed: sel(['state="crashed"']),
              shutoff: sel(['state="shutoff"', 'reason="crashed"']),
              paused: sel([
                'state="paused"',
                'reason!~"%s"' % promql.alternatives(cfg.alerts.DomainCrashedOrPaused.ignoredPauseReasons),
              ]),
            },
            'Domain {{ $labels.domain }} on {{ $labels.instance }} is {{ $labels.state }} ({{ $labels.reason }}).',
            'Domain {{ $labels.domain }} on {{ $labels.instance }} is {{ $labels.state }} with reason {{ $labels.reason }}: it is not running its workload.',
          ),

          // ------------------------------------------------------------------ cgroups
          // Long window, a minimum number of periods and a long `for`, at info
          // severity: short bursts against a CFS quota are normal
          // (kubernetes-mixin issue 108).
          alert(
            'CgroupCPUThrottlingHigh',
            |||
              (
                  increase(strata_cgroup_cpu_throttled_periods_total%(s)s[%(w)s])
                /
                  increase(strata_cgroup_cpu_periods_total%(s)s[%(w)s])
                > %(threshold)s
              )
              and on(%(on)s) increase(strata_cgroup_cpu_periods_total%(s)s[%(w)s]) > %(periods)s
              and on(%(on)s) strata_cgroup_cpu_limit_cores%(s)s
            ||| % {
              s: sel(),
              w: throttling.window,
              threshold: n(throttling.threshold),
              periods: n(throttling.minPeriods),
              on: hostAnd(['cgroup']),
            },
            'Cgroup {{ $labels.cgroup }} on {{ $labels.instance }} is CPU-throttled.',
            '{{ $value | humanizePercentage }} of the CFS periods of cgroup {{ $labels.cgroup }} on {{ $labels.instance }} were throttled recently.',
          ),
          alert(
            'CgroupOOMKilled',
            'increase(strata_cgroup_memory_oom_kills_total%s[%s]) > 0' %
            [sel(), cfg.alerts.CgroupOOMKilled.window],
            'The OOM killer killed a process in cgroup {{ $labels.cgroup }} on {{ $labels.instance }}.',
            'Processes of cgroup {{ $labels.cgroup }} on {{ $labels.instance }} were recently killed by the OOM killer: the cgroup reached its memory limit.',
          ),
          alert(
            'CgroupMemoryNearLimit',
            'strata:cgroup_memory_utilisation:ratio%s > %s' %
            [sel(), n(cfg.alerts.CgroupMemoryNearLimit.threshold)],
            'Cgroup {{ $labels.cgroup }} on {{ $labels.instance }} is near its memory limit.',
            'The working set of cgroup {{ $labels.cgroup }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} of its memory limit.',
          ),

          // ------------------------------------------------------------------ right-sizing
          // Average use over `window` under `threshold` of what was given, per
          // resource (label resource: cpu or memory); info: a candidate to
          // shrink, not an incident. Running domains only: a shut-off domain
          // uses nothing and holds no host CPU.
          alert(
            'VMOversized',
            |||
              (
                  label_replace(avg_over_time(strata:domain_cpu_utilisation:ratio%(s)s[%(w)s]) < %(t)s, "resource", "cpu", "", "")
                or
                  label_replace(avg_over_time(strata:domain_memory_utilisation:ratio%(s)s[%(w)s]) < %(t)s, "resource", "memory", "", "")
              )
              and on(%(on)s) strata_domain_state%(running)s
            ||| % {
              s: sel(),
              w: cfg.alerts.VMOversized.window,
              t: n(cfg.alerts.VMOversized.threshold),
              on: hostAnd(['domain']),
              running: sel(['state="running"']),
            },
            'Domain {{ $labels.domain }} on {{ $labels.instance }} uses little of its {{ $labels.resource }}.',
            'Domain {{ $labels.domain }} on {{ $labels.instance }} used {{ $value | humanizePercentage }} of its {{ $labels.resource }} on average over %s: a candidate to shrink.' % cfg.alerts.VMOversized.window,
          ),
          alert(
            'ContainerOversized',
            |||
              (
                  label_replace(avg_over_time(strata:cgroup_cpu_utilisation:ratio%(s)s[%(w)s]) < %(t)s, "resource", "cpu", "", "")
                or
                  label_replace(avg_over_time(strata:cgroup_memory_utilisation:ratio%(s)s[%(w)s]) < %(t)s, "resource", "memory", "", "")
              )
              and on(%(on)s) strata_cgroup_info%(container)s
            ||| % {
              s: sel(),
              w: cfg.alerts.ContainerOversized.window,
              t: n(cfg.alerts.ContainerOversized.threshold),
              on: hostAnd(['cgroup']),
              container: sel(['kind="container"']),
            },
            'Container {{ $labels.cgroup }} on {{ $labels.instance }} uses little of its {{ $labels.resource }} limit.',
            'Container {{ $labels.cgroup }} on {{ $labels.instance }} used {{ $value | humanizePercentage }} of its {{ $labels.resource }} limit on average over %s: a candidate to shrink.' % cfg.alerts.ContainerOversized.window,
          ),

          // ------------------------------------------------------------------ the exporter itself
          alert(
            'ExporterCollectorFailing',
            'strata_scrape_collector_success%s == 0' % sel(),
            'Collector {{ $labels.collector }} of strata_exporter fails on {{ $labels.instance }}.',
            'The {{ $labels.collector }} collector on {{ $labels.instance }} keeps failing; its metrics are missing or incomplete.',
          ),
          alert(
            'ExporterDown',
            'up%s == 0' % sel(),
            'strata_exporter on {{ $labels.instance }} cannot be scraped.',
            'Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}); every other strata alert is blind for this host.',
          ),
        ],
      },
    ],
  },
}
