// Strata / Containers and cgroups: the cgroups of the selected hosts.
function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local RI = '$__rate_interval';
  local cg = '{{instance}} {{cgroup}}';
  local pressure(resource, title) =
    g.panel('timeseries',
            '%s pressure' % title,
            [
              [
                'topk(5, rate(strata_cgroup_pressure_%s_waiting_seconds_total%s[%s]))' % [resource, sel(), RI],
                'some ' + cg,
              ],
              [
                'topk(5, rate(strata_cgroup_pressure_%s_stalled_seconds_total%s[%s]))' % [resource, sel(), RI],
                'full ' + cg,
              ],
            ],
            'percentunit',
            w=8,
            description='Share of time some (or all non-idle) tasks waited (PSI).',
            defaults={ min: 0 });
  g.dashboard(
    'cgroups',
    'Containers and cgroups',
    'Cgroups of the selected hosts: CPU against limit, throttling, working set against limit, ' +
    'OOM kills and pressure. The busiest 10 are shown.',
    ['cgroup', 'containers'],
    [
      g.row('Commitment'),
      g.panel('timeseries', 'CPU limits committed / host CPUs', [
        ['sum by (%s) (strata_cgroup_committed_cpu_cores%s) / on (%s) strata_host_cpus%s' %
         [g.host(), sel(), g.host(), sel()], '{{instance}}'],
      ], 'percentunit', w=12, defaults={ min: 0 }),
      g.panel('timeseries', 'Memory limits committed / host memory', [
        ['sum by (%s) (strata_cgroup_committed_memory_bytes%s) / on (%s) strata_host_memory_bytes%s' %
         [g.host(), sel(), g.host(), sel()], '{{instance}}'],
      ], 'percentunit', w=12, defaults={ min: 0 }),
      g.row('CPU'),
      g.panel('timeseries', 'CPU used / CPU limit', [
        ['topk(10, sum by (%s) (rate(strata_cgroup_cpu_usage_seconds_total%s[%s])) / on (%s) strata_cgroup_cpu_limit_cores%s)' %
         [g.host(['cgroup']), sel(), RI, g.host(['cgroup']), sel()], cg],
      ], 'percentunit', w=12, description='Cgroups with a CPU limit only.', defaults={ min: 0 }),
      g.panel('timeseries', 'CPU used', [
        ['topk(10, sum by (%s) (rate(strata_cgroup_cpu_usage_seconds_total%s[%s])))' %
         [g.host(['cgroup']), sel(), RI], cg],
      ], 'percentunit', w=12, description='100% is one CPU.', defaults={ min: 0 }),
      g.panel('timeseries',
              'Throttled periods / periods',
              [
                ['topk(10, rate(strata_cgroup_cpu_throttled_periods_total%s[%s]) / (rate(strata_cgroup_cpu_periods_total%s[%s]) > 0))' %
                 [sel(), RI, sel(), RI], cg],
              ],
              'percentunit',
              w=12,
              description='Share of CFS periods in which the cgroup hit its quota. A high ratio ' +
                          'alone is common and often harmless: check the time throttled too.',
              defaults={ min: 0, max: 1 }),
      g.panel('timeseries',
              'Time throttled',
              [
                ['topk(10, rate(strata_cgroup_cpu_throttled_seconds_total%s[%s]))' % [sel(), RI], cg],
              ],
              'percentunit',
              w=12,
              description="Throttled seconds per second, summed over the cgroup's tasks.",
              defaults={ min: 0 }),
      g.row('Memory'),
      g.panel('timeseries',
              'Working set / memory limit',
              [
                ['topk(10, strata_cgroup_memory_working_set_bytes%s / strata_cgroup_memory_limit_bytes%s)' %
                 [sel(), sel()], cg],
              ],
              'percentunit',
              w=12,
              description='Cgroups with a memory limit only; the kernel reclaims, then OOM-kills, ' +
                          'near 100%.',
              defaults={ min: 0 }),
      g.panel('timeseries', 'Working set', [
        ['topk(10, strata_cgroup_memory_working_set_bytes%s)' % sel(), cg],
      ], 'bytes', w=12, defaults={ min: 0 }),
      g.panel('timeseries', 'OOM kills', [
        ['topk(10, increase(strata_cgroup_memory_oom_kills_total%s[%s]))' % [sel(), RI], cg],
      ], 'short', w=12, defaults={ min: 0, decimals: 0 }),
      g.panel('table',
              'Containers',
              [['strata_container_info%s' % sel(), '']],
              'none',
              w=12,
              options=g.tableOptions,
              transformations=g.labelTable(['instance', 'name', 'image', 'id', 'image_id', 'job'])),
      g.row('Pressure'),
      pressure('cpu', 'CPU'),
      pressure('memory', 'Memory'),
      pressure('io', 'IO'),
    ],
  )
