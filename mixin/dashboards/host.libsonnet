// Strata / Host detail: one host and the exporter that runs on it.
function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local RI = '$__rate_interval';
  local name = { textMode: 'name', colorMode: 'none', reduceOptions: { calcs: ['lastNotNull'] } };
  g.dashboard(
    'host',
    'Host detail',
    'One host: its capacity, CPU steal, and the exporter itself (collectors, process).',
    ['host'],
    [
      g.row('Host'),
      g.panel('stat', 'Role', [
        ['strata_host_virtualization_info%s' % sel(), '{{role}} ({{hypervisor}}, {{container_runtime}})'],
      ], 'none', w=6, h=4, options=name),
      g.panel('stat', 'Image', [
        ['strata_image_info%s' % sel(), '{{image_id}} {{image_version}} ({{os_id}} {{os_version}})'],
      ], 'none', w=6, h=4, options=name),
      g.panel('stat', 'CPUs', [['strata_host_cpus%s' % sel(), 'CPUs']], 'short', w=4, h=4),
      g.panel('stat', 'Memory', [['strata_host_memory_bytes%s' % sel(), 'memory']], 'bytes', w=4, h=4),
      g.panel('stat', 'Exporter version', [
        ['strata_exporter_build_info%s' % sel(), '{{version}} {{revision}}'],
      ], 'none', w=4, h=4, options=name),
      g.panel('timeseries',
              'CPU steal',
              [
                [
                  'rate(strata_host_cpu_steal_seconds_total%s[%s]) / strata_host_cpus%s' % [sel(), RI, sel()],
                  'steal {{instance}}',
                ],
              ],
              'percentunit',
              w=24,
              description="Share of this host's CPU time the hypervisor gave to something else.",
              defaults={ min: 0 }),
      g.row('Exporter'),
      g.panel('timeseries', 'Collector success', [
        ['strata_scrape_collector_success%s' % sel(), '{{collector}} {{instance}}'],
        ['up%s' % sel(), 'up {{instance}}'],
      ], 'none', w=12, defaults={ min: 0, max: 1, mappings: g.statusMap }),
      g.panel('timeseries', 'Collector duration', [
        ['strata_scrape_collector_duration_seconds%s' % sel(), '{{collector}} {{instance}}'],
      ], 's', w=12, defaults={ min: 0 }),
      g.panel('timeseries', 'Exporter CPU', [
        ['rate(process_cpu_seconds_total%s[%s])' % [sel(), RI], 'CPU {{instance}}'],
      ], 'percentunit', w=8, description='100% is one CPU.', defaults={ min: 0 }),
      g.panel('timeseries', 'Exporter memory', [
        ['process_resident_memory_bytes%s' % sel(), 'resident {{instance}}'],
        ['process_virtual_memory_bytes%s' % sel(), 'virtual {{instance}}'],
      ], 'bytes', w=8, defaults={ min: 0 }),
      g.panel('timeseries', 'Exporter file descriptors', [
        ['process_open_fds%s / process_max_fds%s' % [sel(), sel()], 'open / max {{instance}}'],
      ], 'percentunit', w=8, defaults={ min: 0 }),
      g.panel('stat', 'Exporter uptime', [
        ['time() - process_start_time_seconds%s' % sel(), '{{instance}}'],
      ], 's', w=8, h=4),
      g.panel('stat', 'Cgroups skipped', [
        ['sum by (reason) (strata_cgroup_skipped%s)' % sel(), '{{reason}}'],
      ], 'short', w=8, h=4),
      g.panel('stat', 'Drift hashing', [
        ['rate(strata_drift_hashed_bytes_total%s[%s])' % [sel(), RI], '{{instance}}'],
      ], 'Bps', w=8, h=4),
    ],
    instanceMulti=false,
  )
