// Strata / Convergence and drift: configuration management runs and baselines.
function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local tool = '{{instance}} {{tool}}';
  local NOT_MATCHING = 'state!="matching"';
  g.dashboard(
    'convergence',
    'Convergence and drift',
    'Configuration management runs (Puppet, CFEngine, Ansible, Chef) and file and package baselines.',
    ['convergence', 'drift'],
    [
      g.row('Runs'),
      g.panel('timeseries',
              'Last run age',
              [
                ['time() - strata_convergence_last_run_timestamp_seconds%s' % sel(), tool],
              ],
              's',
              w=12,
              description="Seconds since each tool's last run; a steady climb is a tool that " +
                          'stopped running.',
              defaults={ min: 0 }),
      g.panel('table',
              'Last run per host and tool',
              [
                // Without the metric name, so that merge joins the four on their labels.
                ['time() - strata_convergence_last_run_timestamp_seconds%s' % sel(), ''],
                ['max without (__name__) (strata_convergence_last_run_success%s)' % sel(), ''],
                ['max without (__name__) (strata_convergence_noop%s)' % sel(), ''],
                ['max without (__name__) (strata_convergence_agent_disabled%s)' % sel(), ''],
              ],
              'short',
              w=12,
              options=g.tableOptions,
              transformations=[
                { id: 'merge', options: {} },
                {
                  id: 'organize',
                  options: {
                    excludeByName: { Time: true },
                    renameByName: {
                      'Value #A': 'age',
                      'Value #B': 'success',
                      'Value #C': 'noop',
                      'Value #D': 'disabled',
                    },
                  },
                },
              ],
              overrides=[
                { matcher: { id: 'byName', options: 'age' }, properties: [{ id: 'unit', value: 's' }] },
                {
                  matcher: { id: 'byName', options: 'success' },
                  properties: [{ id: 'mappings', value: g.statusMap }],
                },
              ]),
      g.panel('timeseries',
              'Failed last runs by tool',
              [
                ['sum by (tool) (1 - strata_convergence_last_run_success%s)' % sel(), '{{tool}}'],
              ],
              'short',
              w=8,
              description='Hosts whose last run of each tool failed.',
              defaults={ min: 0, decimals: 0 }),
      g.panel('timeseries', 'Failed resources', [
        ['strata_convergence_resources%s' % sel('state="failed"'), tool],
      ], 'short', w=8, defaults={ min: 0, decimals: 0 }),
      g.panel('timeseries', 'Run duration', [
        ['strata_convergence_last_run_duration_seconds%s' % sel(), tool],
      ], 's', w=8, defaults={ min: 0 }),
      g.row('Drift'),
      g.panel('timeseries',
              'Out-of-sync and changed resources',
              [
                [
                  'strata_convergence_resources%s' % sel('state=~"out_of_sync|changed"'),
                  '{{instance}} {{tool}} {{state}}',
                ],
              ],
              'short',
              w=12,
              description='After a noop or check run (noop = 1) these are drift; after a real run, ' +
                          'changes made.',
              defaults={ min: 0, decimals: 0 }),
      g.panel('timeseries', 'Puppet noop pending', [
        ['strata_puppet_noop_pending%s' % sel(), '{{instance}}'],
      ], 'none', w=12, defaults={ min: 0, max: 1 }),
      g.panel('timeseries', 'Drifted files per baseline', [
        [
          'sum by (%s) (strata_drift_files%s)' % [g.host(['baseline', 'state']), sel(NOT_MATCHING)],
          '{{instance}} {{baseline}} {{state}}',
        ],
      ], 'short', w=12, defaults={ min: 0, decimals: 0 }),
      g.panel('timeseries', 'Drifted packages per baseline', [
        [
          'sum by (%s) (strata_drift_packages%s)' % [g.host(['baseline', 'state']), sel(NOT_MATCHING)],
          '{{instance}} {{baseline}} {{state}}',
        ],
      ], 'short', w=12, defaults={ min: 0, decimals: 0 }),
      g.panel('table',
              'Drifted files',
              [['strata_drift_file_drifted%s' % sel(), '']],
              'none',
              w=12,
              options=g.tableOptions,
              transformations=g.labelTable(['instance', 'baseline', 'path', 'state', 'job'])),
      g.panel('table',
              'Drifted packages',
              [['strata_drift_package_drifted%s' % sel(), '']],
              'none',
              w=12,
              options=g.tableOptions,
              transformations=g.labelTable([
                'instance',
                'baseline',
                'package',
                'state',
                'expected_version',
                'installed_version',
                'job',
              ])),
      g.panel('timeseries', 'CFEngine promises', [
        ['strata_cfengine_promises_ratio%s' % sel(), '{{instance}} {{outcome}}'],
      ], 'percentunit', w=24, defaults={ min: 0, max: 1 }),
    ],
  )
