// Strata / Convergence and drift: configuration management runs and baselines.
function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local tool = '{{instance}} {{tool}}';
  local NOT_MATCHING = 'state!="matching"';
  // Running containers with the repository of their image (the reference
  // without tag and digest), as the strata:container_image:info rule makes it.
  local images = 'label_replace(strata_container_info%s, "repository", "$1", "image", "%s")' %
                 [sel(), '(.+?)(?::[^:/@]+)?(?:@.+)?'];
  local withName(expr, labels='name, image') =
    '%s * on(%s) group_left(%s) strata_container_info%s' % [expr, g.host(['id']), labels, sel()];
  g.dashboard(
    'convergence',
    'Convergence and drift',
    'Configuration management runs (Puppet, CFEngine, Ansible, Chef), file and package baselines, ' +
    'and containers: their images and drift from them.',
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
      g.row('Containers: image sprawl and drift'),
      g.panel('timeseries',
              'Builds running per image repository',
              [
                [
                  'count by (repository) (count by (repository, image_id) (%s))' % images,
                  '{{repository}}',
                ],
              ],
              'short',
              w=12,
              description='Distinct image ids (builds) of each repository running in containers ' +
                          'on the selected hosts; more than one is sprawl.',
              defaults={ min: 0, decimals: 0 }),
      g.panel('table',
              'Image builds per repository',
              [
                ['count by (repository, image_id) (%s)' % images, ''],
                [
                  'count by (repository, image_id) (count by (%s) (%s))' %
                  [g.host(['repository', 'image_id']), images],
                  '',
                ],
              ],
              'short',
              w=12,
              description='Each build of each repository, with the containers and hosts that run it.',
              options=g.tableOptions,
              transformations=[
                { id: 'merge', options: {} },
                {
                  id: 'organize',
                  options: {
                    excludeByName: { Time: true },
                    renameByName: { 'Value #A': 'containers', 'Value #B': 'hosts' },
                  },
                },
              ]),
      g.panel('table',
              'Oldest images running',
              [[
                'topk(10, %s)' %
                withName('(time() - strata_container_image_created_timestamp_seconds%s)' % sel()),
                '',
              ]],
              's',
              w=12,
              description='The containers running the oldest images: seconds since the image was built.',
              options=g.tableOptions,
              transformations=[{
                id: 'organize',
                options: {
                  excludeByName: { Time: true },
                  indexByName: { instance: 0, name: 1, image: 2, Value: 3 },
                  renameByName: { Value: 'image age' },
                },
              }]),
      g.panel('timeseries',
              'Most drifted containers',
              [[
                'topk(10, %s)' %
                withName('sum without (kind) (strata_container_drift_paths%s)' % sel(), 'name'),
                '{{instance}} {{name}}',
              ]],
              'short',
              w=12,
              description='Paths changed, added or deleted since each container started from its ' +
                          'image, without those expected to change (/tmp, /run, /var/log...).',
              defaults={ min: 0, decimals: 0 }),
      g.panel('table',
              'Drifted container paths',
              [['%s' % withName('strata_container_drift_path_info%s' % sel()), '']],
              'none',
              w=24,
              description='Drifted paths in the configuration trees of each container (at most ' +
                          '--collector.cgroup.drift-max-paths per container).',
              options=g.tableOptions,
              // A product has no __name__, so not g.labelTable.
              transformations=[{
                id: 'organize',
                options: {
                  excludeByName: { Time: true, Value: true },
                  indexByName: { instance: 0, name: 1, image: 2, path: 3, kind: 4, id: 5, job: 6 },
                },
              }]),
    ],
  )
