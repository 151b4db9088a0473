// Strata / Hypervisor: libvirt hosts and their domains.
function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local RI = '$__rate_interval';
  local vm = '{{instance}} {{domain}}';
  local MODE_TOTAL = 'mode="total"';
  local ratio(metric, capacity) =
    '%s%s / ignoring (scope) group_left %s%s' % [metric, sel('scope=~".+"'), capacity, sel()];
  g.dashboard(
    'hypervisor',
    'Hypervisor',
    'libvirt hypervisors: VM density, overcommit, and per-VM CPU, vCPU delay and balloon.',
    ['libvirt', 'hypervisor'],
    [
      g.row('Host'),
      g.panel('stat',
              'libvirt up',
              [['min(strata_libvirt_up%s)' % sel(), 'up']],
              'none',
              w=6,
              h=4,
              defaults={ mappings: g.statusMap }),
      g.panel('stat', 'Running domains', [
        ['sum(strata_hypervisor_domains%s)' % sel('state="running"'), 'running'],
      ], 'short', w=6, h=4),
      g.panel('stat', 'Host CPUs', [['sum(strata_hypervisor_cpus%s)' % sel(), 'CPUs']], 'short', w=6, h=4),
      g.panel('stat',
              'Host memory',
              [['sum(strata_hypervisor_memory_bytes%s)' % sel(), 'memory']],
              'bytes',
              w=6,
              h=4),
      g.panel('timeseries', 'Domains by state', [
        ['sum by (%s) (strata_hypervisor_domains%s)' % [g.host(['state']), sel()], '{{instance}} {{state}}'],
      ], 'short', w=12, defaults={ min: 0, decimals: 0 }),
      g.panel('table',
              'Domain states',
              [['sort(strata_domain_state%s)' % sel(), '']],
              'none',
              w=12,
              description="Each domain's state and the reason libvirt gives; look for paused and crashed.",
              options=g.tableOptions,
              transformations=g.labelTable(['instance', 'domain', 'state', 'reason', 'job'])),
      g.row('Overcommit'),
      g.panel('timeseries',
              'vCPU overcommit',
              [
                [ratio('strata_hypervisor_vcpus_allocated', 'strata_hypervisor_cpus'), '{{instance}} {{scope}}'],
              ],
              'suffix:x',
              w=12,
              description='vCPUs allocated per logical CPU of the host: running domains, and every ' +
                          'defined domain (if all were started).',
              defaults={ min: 0, decimals: 2 }),
      g.panel('timeseries',
              'Memory overcommit',
              [
                [
                  ratio('strata_hypervisor_memory_allocated_bytes', 'strata_hypervisor_memory_bytes'),
                  '{{instance}} {{scope}}',
                ],
              ],
              'suffix:x',
              w=12,
              description='Maximum memory allocated per byte of host memory.',
              defaults={ min: 0, decimals: 2 }),
      g.row('Domains'),
      g.panel('timeseries', 'CPU per VM', [
        ['topk(10, rate(strata_domain_cpu_time_seconds_total%s[%s]))' % [sel(MODE_TOTAL), RI], vm],
      ], 'percentunit', w=12, description='100% is one host CPU.', defaults={ min: 0 }),
      g.panel('timeseries',
              'CPU used / vCPUs',
              [
                ['topk(10, rate(strata_domain_cpu_time_seconds_total%s[%s]) / ignoring (mode) strata_domain_vcpus%s)' %
                 [sel(MODE_TOTAL), RI, sel()], vm],
              ],
              'percentunit',
              w=12,
              description='How much of its vCPUs each VM uses; low values are VMs sized too big.',
              defaults={ min: 0 }),
      g.panel('timeseries',
              'vCPU delay',
              [
                ['topk(10, rate(strata_domain_cpu_delay_seconds_total%s[%s]) / strata_domain_vcpus%s)' %
                 [sel(), RI, sel()], vm],
              ],
              'percentunit',
              w=12,
              description="Share of its vCPUs' time each VM waited for a host CPU: the steal its " +
                          'guest sees.',
              defaults={ min: 0 }),
      g.panel('timeseries',
              'Balloon / maximum memory',
              [
                ['topk(10, strata_domain_memory_balloon_bytes%s / strata_domain_memory_maximum_bytes%s)' %
                 [sel(), sel()], vm],
              ],
              'percentunit',
              w=12,
              description='Memory the balloon gives each guest against its maximum; below 100% the ' +
                          'host has reclaimed memory.',
              defaults={ min: 0 }),
      g.panel('timeseries', 'Balloon and maximum memory', [
        ['topk(10, strata_domain_memory_balloon_bytes%s)' % sel(), 'balloon ' + vm],
        ['topk(10, strata_domain_memory_maximum_bytes%s)' % sel(), 'maximum ' + vm],
      ], 'bytes', w=24, defaults={ min: 0 }),
    ],
  )
