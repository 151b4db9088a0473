// Strata / Fleet overview: every host running strata_exporter.
local promql = import '../lib/promql.libsonnet';

function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local RI = '$__rate_interval';
  local NOT_MATCHING = 'state!="matching"';
  local stale = cfg.alerts.ConvergenceStale.seconds;
  // "2h" for 7200 s: the fleet table names the staleness limit it counts.
  local staleText =
    if stale % 3600 == 0 then '%dh' % (stale / 3600)
    else if stale % 60 == 0 then '%dm' % (stale / 60)
    else '%ds' % stale;
  // A host drifts when a baseline has a non-matching file or package, a noop
  // or check run found resources out of sync, or Puppet left noop changes.
  local driftAny =
    'count by (%s) (' % g.host() +
    'strata_drift_files%s > 0' % sel(NOT_MATCHING) +
    ' or strata_drift_packages%s > 0' % sel(NOT_MATCHING) +
    ' or strata_convergence_resources%s > 0' % sel('state="out_of_sync"') +
    ' or (strata_convergence_resources%s > 0' % sel('state="changed"') +
    ' and on (%s) strata_convergence_noop%s == 1)' % [g.host(['tool']), sel()] +
    ' or strata_puppet_noop_pending%s == 1)' % sel();
  local ratio(metric, capacity) =
    '%s%s / ignoring (scope) group_left %s%s' % [metric, sel('scope="running"'), capacity, sel()];
  local failingThresholds(color) = {
    thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: color, value: 1 }] },
  };
  local overcommit(orange, red) = {
    decimals: 2,
    min: 0,
    thresholds: {
      mode: 'absolute',
      steps: [
        { color: 'green', value: null },
        { color: 'orange', value: orange },
        { color: 'red', value: red },
      ],
    },
  };
  local gauge = {
    orientation: 'horizontal',
    displayMode: 'gradient',
    reduceOptions: { calcs: ['lastNotNull'] },
  };
  g.dashboard(
    'fleet',
    'Fleet overview',
    'Every host running strata_exporter: roles, images, convergence health, overcommit and drift.',
    ['fleet'],
    [
      g.row('Fleet'),
      g.panel('stat', 'Hosts', [['count(strata_exporter_build_info%s)' % sel(), 'hosts']], 'short', w=4, h=4),
      g.panel('stat', 'Exporters up', [['sum(up%s)' % sel(), 'up']], 'short', w=4, h=4),
      g.panel('stat', 'Distinct image versions', [
        // Hosts without an image version are not a version of their own.
        [
          'count(count by (image_id, image_version) (strata_image_info%s)) or vector(0)' %
          sel('image_version!=""'),
          'versions',
        ],
      ], 'short', w=4, h=4),
      g.panel('stat', 'Hosts whose last run failed', [
        ['count(strata_convergence_last_run_success%s == 0) or vector(0)' % sel(), 'hosts'],
      ], 'short', w=4, h=4, defaults=failingThresholds('red')),
      g.panel('stat',
              'Hosts with drift',
              [['count(%s) or vector(0)' % driftAny, 'hosts']],
              'short',
              w=4,
              h=4,
              defaults=failingThresholds('orange')),
      g.panel('stat', 'Collectors failing', [
        ['count(strata_scrape_collector_success%s == 0) or vector(0)' % sel(), 'collectors'],
      ], 'short', w=4, h=4, defaults=failingThresholds('red')),
      g.panel('piechart', 'Hosts by role', [
        ['count by (role) (strata_host_virtualization_info%s)' % sel(), '{{role}}'],
      ], 'short', w=8, h=8, options={
        legend: { displayMode: 'table', placement: 'right', values: ['value'], showLegend: true },
        pieType: 'donut',
        reduceOptions: { calcs: ['lastNotNull'] },
      }),
      g.panel('bargauge', 'Hosts per image version', [
        [
          'sort_desc(count by (image_id, image_version) (strata_image_info%s))' % sel(),
          '{{image_id}} {{image_version}}',
        ],
      ], 'short', w=8, h=8, options={
        orientation: 'horizontal',
        displayMode: 'basic',
        reduceOptions: { calcs: ['lastNotNull'] },
      }),
      g.panel('table',
              'Convergence health per tool',
              [
                ['count by (tool) (strata_convergence_last_run_success%s)' % sel(), ''],
                ['sum by (tool) (strata_convergence_last_run_success%s)' % sel(), ''],
                ['sum by (tool) (time() - strata_convergence_last_run_timestamp_seconds%s > bool %s)' %
                 [sel(), promql.num(stale)], ''],
                ['sum by (tool) (strata_convergence_agent_disabled%s)' % sel(), ''],
              ],
              'short',
              w=8,
              h=8,
              options=g.tableOptions,
              description='Hosts reporting each tool, how many of their last runs succeeded, how ' +
                          'many have not run for %s, and how many agents are disabled.' % staleText,
              transformations=[
                { id: 'merge', options: {} },
                {
                  id: 'organize',
                  options: {
                    excludeByName: { Time: true },
                    renameByName: {
                      'Value #A': 'hosts',
                      'Value #B': 'last run ok',
                      'Value #C': 'no run for %s' % staleText,
                      'Value #D': 'agent disabled',
                    },
                  },
                },
              ]),
      g.row('Overcommit'),
      g.panel('bargauge',
              'Most overcommitted hypervisors: vCPUs (running)',
              [
                [
                  'topk(10, %s)' % ratio('strata_hypervisor_vcpus_allocated', 'strata_hypervisor_cpus'),
                  '{{instance}}',
                ],
              ],
              'suffix:x',
              w=12,
              h=8,
              description='vCPUs of running domains per logical CPU of the host.',
              options=gauge,
              defaults=overcommit(cfg.alerts.HypervisorVCPUOvercommitHigh.threshold,
                                  cfg.vcpuOvercommitRed)),
      g.panel('bargauge',
              'Most overcommitted hypervisors: memory (running)',
              [
                [
                  'topk(10, %s)' % ratio('strata_hypervisor_memory_allocated_bytes',
                                         'strata_hypervisor_memory_bytes'),
                  '{{instance}}',
                ],
              ],
              'suffix:x',
              w=12,
              h=8,
              description='Maximum memory of running domains per byte of host memory.',
              options=gauge,
              defaults=overcommit(cfg.alerts.HypervisorMemoryOvercommitHigh.threshold,
                                  cfg.memoryOvercommitRed)),
      g.row('Drift'),
      g.panel('table',
              'Hosts with drift',
              [
                ['sum by (%s) (strata_drift_files%s)' % [g.host(), sel(NOT_MATCHING)], ''],
                ['sum by (%s) (strata_drift_packages%s)' % [g.host(), sel(NOT_MATCHING)], ''],
                ['sum by (%s) (strata_convergence_resources%s)' % [g.host(), sel('state="out_of_sync"')], ''],
                ['max by (%s) (strata_puppet_noop_pending%s)' % [g.host(), sel()], ''],
              ],
              'short',
              w=24,
              h=8,
              options=g.tableOptions,
              description='Drifted files and packages over all baselines, resources a noop run ' +
                          "found out of sync, and Puppet's noop_pending flag; hosts with none are " +
                          'hidden.',
              transformations=[
                { id: 'merge', options: {} },
                {
                  id: 'filterByValue',
                  options: {
                    type: 'include',
                    match: 'any',
                    filters: [
                      { fieldName: 'Value #' + r, config: { id: 'greater', options: { value: 0 } } }
                      for r in ['A', 'B', 'C', 'D']
                    ],
                  },
                },
                {
                  id: 'organize',
                  options: {
                    excludeByName: { Time: true },
                    renameByName: {
                      'Value #A': 'drifted files',
                      'Value #B': 'drifted packages',
                      'Value #C': 'out-of-sync resources',
                      'Value #D': 'puppet noop pending',
                    },
                  },
                },
              ]),
    ],
  )
