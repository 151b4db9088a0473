// Strata / Density: allocated against used, from the physical CPU to the
// container, for the fleet (every host selected, the default) or one
// physical host (pick it in the instance variable).
function(cfg)
  local g = (import '../lib/grafana.libsonnet')(cfg);
  local sel = g.sel;
  local RI = '$__rate_interval';
  local host = g.host();
  local W = cfg.rightsizingWindow;
  // Series of hosts of the given roles (strata_host_virtualization_info).
  local ofRole(expr, roles) =
    '(%s and on (%s) strata_host_virtualization_info%s)' % [expr, host, sel('role=~"%s"' % roles)];
  local containerCgroups = 'on (%s) strata_cgroup_info%s' % [g.host(['cgroup']), sel('kind="container"')];
  // The four host kinds, one query each (the README's density section):
  // [label, allocated, used] per kind and resource.
  local kinds = {
    cpu: [
      [
        'bare metal',
        ofRole('strata_host_cpus%s' % sel(), 'bare-metal'),
        ofRole('strata:host_cpu_used:cores%s' % sel(), 'bare-metal'),
      ],
      [
        'VMs',
        'strata_domain_vcpus%s' % sel(),
        'sum without (mode) (rate(strata_domain_cpu_time_seconds_total%s[%s]))' % [sel('mode="total"'), RI],
      ],
      [
        'containers on bare metal',
        ofRole('sum by (%s) (strata_cgroup_committed_cpu_cores%s)' % [host, sel()], 'bare-metal|container'),
        ofRole('sum by (%s) (sum without (mode) (rate(strata_cgroup_cpu_usage_seconds_total%s[%s])) and %s)' %
               [host, sel(), RI, containerCgroups], 'bare-metal|container'),
      ],
      [
        'containers in VMs',
        ofRole('sum by (%s) (strata_cgroup_committed_cpu_cores%s)' % [host, sel()], 'vm|container-in-vm'),
        ofRole('sum by (%s) (sum without (mode) (rate(strata_cgroup_cpu_usage_seconds_total%s[%s])) and %s)' %
               [host, sel(), RI, containerCgroups], 'vm|container-in-vm'),
      ],
    ],
    memory: [
      [
        'bare metal',
        ofRole('strata_host_memory_bytes%s' % sel(), 'bare-metal'),
        ofRole('strata:host_memory_used:bytes%s' % sel(), 'bare-metal'),
      ],
      ['VMs', 'strata_domain_memory_maximum_bytes%s' % sel(), 'strata:vm_memory_used_guest:bytes%s' % sel()],
      [
        'containers on bare metal',
        ofRole('sum by (%s) (strata_cgroup_committed_memory_bytes%s)' % [host, sel()], 'bare-metal|container'),
        ofRole('sum by (%s) (strata_cgroup_memory_working_set_bytes%s and %s)' %
               [host, sel(), containerCgroups], 'bare-metal|container'),
      ],
      [
        'containers in VMs',
        ofRole('sum by (%s) (strata_cgroup_committed_memory_bytes%s)' % [host, sel()], 'vm|container-in-vm'),
        ofRole('sum by (%s) (strata_cgroup_memory_working_set_bytes%s and %s)' %
               [host, sel(), containerCgroups], 'vm|container-in-vm'),
      ],
    ],
  };
  // One series per kind: the sum of `column` (1 allocated, 2 used) over the hosts.
  local byKind(resource, column) =
    std.join(' or ', [
      'label_replace(sum(%s), "kind", "%s", "", "")' % [k[column], k[0]]
      for k in kinds[resource]
    ]);
  local kindTable(resource, title, unit) =
    g.panel('table',
            title,
            [[byKind(resource, 1), ''], [byKind(resource, 2), '']],
            unit,
            w=12,
            h=7,
            options=g.tableOptions,
            description='Allocated and used per kind of host. Bare metal: the hardware and what ' +
                        'its kernel counts busy. VMs: what libvirt gave running domains and what ' +
                        'they used (CPU as the hypervisor sees it; memory as the guest sees it, ' +
                        'for guests running strata_exporter). Containers: the limits committed, ' +
                        'each once, and what container cgroups used, on hosts of each role.',
            transformations=[
              { id: 'merge', options: {} },
              {
                id: 'organize',
                options: {
                  excludeByName: { Time: true },
                  indexByName: { kind: 0, 'Value #A': 1, 'Value #B': 2 },
                  renameByName: { 'Value #A': 'allocated', 'Value #B': 'used' },
                },
              },
            ]);
  local stat(title, expr, unit, description='') =
    g.panel('stat', title, [['%s or vector(0)' % expr, title]], unit, w=4, h=4, description=description);
  // A right-sizing table: the 10 with the most idle capacity.
  local candidates(title, expr, unit, columns, value) =
    g.panel('table',
            title,
            [['sort_desc(topk(10, %s))' % expr, '']],
            unit,
            w=12,
            options=g.tableOptions,
            description='Given minus used on average over %s (the strata:*_idle:* recording rules); ' % W +
                        'VMOversized and ContainerOversized fire for those using under %s%% for days.' %
                        (cfg.alerts.VMOversized.threshold * 100),
            transformations=[{
              id: 'organize',
              options: {
                excludeByName: { Time: true, __name__: true },
                indexByName: { [columns[i]]: i for i in std.range(0, std.length(columns) - 1) } +
                             { Value: std.length(columns) },
                renameByName: { Value: value },
              },
            }]);
  // One row per joined VM: the metric name dropped, so the queries merge.
  local vm = g.host(['domain', 'guest_instance']);
  local hv(metric, extra='') = '%s%s' % [metric, sel(extra)];
  g.dashboard(
    'density',
    'Density',
    'Allocated against used from the physical CPU to the container: physical capacity, what is ' +
    'allocated to VMs, what VMs use seen from outside and inside, what containers are committed ' +
    'and use, the four kinds of host side by side, and the right-sizing candidates. Every host ' +
    'is the fleet; one hypervisor in the instance variable is one physical host.',
    ['density', 'fleet'],
    [
      g.row('Capacity'),
      stat('Physical CPUs',
           'sum(%s)' % ofRole('strata_host_cpus%s' % sel(), 'bare-metal'),
           'short',
           'Logical CPUs of bare-metal hosts (hypervisors included).'),
      stat('Physical memory', 'sum(%s)' % ofRole('strata_host_memory_bytes%s' % sel(), 'bare-metal'), 'bytes'),
      stat('vCPUs allocated to VMs',
           'sum(%s)' % hv('strata_hypervisor_vcpus_allocated', 'scope="running"'),
           'short',
           'vCPUs of running domains.'),
      stat('Memory allocated to VMs',
           'sum(%s)' % hv('strata_hypervisor_memory_allocated_bytes', 'scope="running"'),
           'bytes'),
      stat('CPU committed to containers',
           'sum(strata_cgroup_committed_cpu_cores%s)' % sel(),
           'short',
           'CPU limits, each counted once, on every host (bare metal and VMs).'),
      stat('Memory committed to containers', 'sum(strata_cgroup_committed_memory_bytes%s)' % sel(), 'bytes'),
      stat('Idle physical CPUs (%s)' % W,
           'sum(%s)' % ofRole('strata:host_cpu_idle:cores%s' % sel(), 'bare-metal'),
           'short',
           'CPUs of bare-metal hosts minus their average use over %s.' % W),
      stat('Idle physical memory (%s)' % W,
           'sum(%s)' % ofRole('strata:host_memory_idle:bytes%s' % sel(), 'bare-metal'),
           'bytes'),
      stat('Idle vCPUs (%s)' % W,
           'sum(strata:vm_cpu_idle:cores%s)' % sel(),
           'short',
           'vCPUs minus the CPU their domains used, as the hypervisor sees it.'),
      stat('Idle VM memory (%s)' % W,
           'sum(strata:vm_memory_idle:bytes%s)' % sel(),
           'bytes',
           'Maximum memory minus what the guest used, for guests running strata_exporter.'),
      stat('Idle container CPU (%s)' % W,
           'sum(strata:container_cpu_idle:cores%s)' % sel(),
           'short',
           'CPU limits of containers minus their use.'),
      stat('Idle container memory (%s)' % W, 'sum(strata:container_memory_idle:bytes%s)' % sel(), 'bytes'),
      g.row('The four kinds of host'),
      kindTable('cpu', 'CPU by kind of host (cores)', 'short'),
      kindTable('memory', 'Memory by kind of host', 'bytes'),
      g.row('Per physical host'),
      g.panel('timeseries',
              'CPU: physical, allocated to VMs, used',
              [
                [hv('strata_hypervisor_cpus'), '{{instance}} physical CPUs'],
                [hv('strata_hypervisor_vcpus_allocated', 'scope="running"'), '{{instance}} vCPUs allocated'],
                [
                  'strata:host_cpu_used:cores%s and on (%s) strata_hypervisor_cpus%s' % [sel(), host, sel()],
                  '{{instance}} used by the host',
                ],
                [
                  'sum by (%s) (rate(strata_domain_cpu_time_seconds_total%s[%s]))' % [host, sel('mode="total"'), RI],
                  '{{instance}} used by VMs (outside)',
                ],
                [
                  'sum by (%s) (strata:vm_cpu_used_guest:cores%s)' % [host, sel()],
                  '{{instance}} used by VMs (inside)',
                ],
                [
                  'sum by (%s) (strata:vm_container_cpu_committed:cores%s)' % [host, sel()],
                  '{{instance}} committed to containers in VMs',
                ],
              ],
              'short',
              w=12,
              description='Per hypervisor, in cores. Inside: the guests that run strata_exporter ' +
                          '(joined by their DMI UUID), so it may cover fewer VMs than outside.',
              defaults={ min: 0 }),
      g.panel('timeseries',
              'Memory: physical, allocated to VMs, used',
              [
                [hv('strata_hypervisor_memory_bytes'), '{{instance}} physical'],
                [hv('strata_hypervisor_memory_allocated_bytes', 'scope="running"'), '{{instance}} allocated to VMs'],
                [
                  'strata:host_memory_used:bytes%s and on (%s) strata_hypervisor_memory_bytes%s' % [sel(), host, sel()],
                  '{{instance}} used by the host',
                ],
                [
                  'sum by (%s) (strata:vm_memory_used_guest:bytes%s)' % [host, sel()],
                  '{{instance}} used by VMs (inside)',
                ],
              ],
              'bytes',
              w=12,
              defaults={ min: 0 }),
      g.panel('table',
              'VMs seen from outside and inside',
              [
                ['sum by (%s) (strata:vm_cpu_allocated:cores%s)' % [vm, sel()], ''],
                ['sum by (%s) (strata:vm_cpu_used_host:cores%s)' % [vm, sel()], ''],
                ['sum by (%s) (strata:vm_cpu_used_guest:cores%s)' % [vm, sel()], ''],
                ['sum by (%s) (strata:vm_container_cpu_commitment:ratio%s)' % [vm, sel()], ''],
                ['sum by (%s) (strata:vm_memory_allocated:bytes%s)' % [vm, sel()], ''],
                ['sum by (%s) (strata:vm_memory_used_guest:bytes%s)' % [vm, sel()], ''],
              ],
              'short',
              w=24,
              options=g.tableOptions,
              description='Domains whose guest runs strata_exporter, joined on the DMI UUID: vCPUs, ' +
                          'CPU used as the hypervisor and as the guest see it, the CPU limits ' +
                          "committed inside per vCPU, and memory. instance is the hypervisor's.",
              overrides=[
                { matcher: { id: 'byName', options: 'containers committed / vCPU' }, properties: [{ id: 'unit', value: 'percentunit' }] },
                { matcher: { id: 'byName', options: 'memory' }, properties: [{ id: 'unit', value: 'bytes' }] },
                { matcher: { id: 'byName', options: 'memory used (inside)' }, properties: [{ id: 'unit', value: 'bytes' }] },
              ],
              transformations=[
                { id: 'merge', options: {} },
                {
                  id: 'organize',
                  options: {
                    excludeByName: { Time: true, job: true },
                    renameByName: {
                      'Value #A': 'vCPUs',
                      'Value #B': 'CPU used (outside)',
                      'Value #C': 'CPU used (inside)',
                      'Value #D': 'containers committed / vCPU',
                      'Value #E': 'memory',
                      'Value #F': 'memory used (inside)',
                    },
                  },
                },
              ]),
      g.panel('timeseries',
              'Steal inside against delay outside',
              [
                ['strata:vm_cpu_steal_guest:cores%s' % sel(), 'steal {{domain}} on {{instance}}'],
                ['strata:vm_cpu_delay_host:cores%s' % sel(), 'delay {{domain}} on {{instance}}'],
              ],
              'short',
              w=24,
              description='Cores of waiting for a physical CPU: as the guest counts it (steal) and ' +
                          'as the hypervisor counts it (vCPU delay). They should agree.',
              defaults={ min: 0 }),
      g.row('Right-sizing candidates'),
      candidates('Hosts with the most idle CPUs',
                 'strata:host_cpu_idle:cores%s' % sel(),
                 'short',
                 ['instance', 'job'],
                 'idle CPUs'),
      candidates('Hosts with the most idle memory',
                 'strata:host_memory_idle:bytes%s' % sel(),
                 'bytes',
                 ['instance', 'job'],
                 'idle memory'),
      candidates('VMs with the most idle vCPUs',
                 'strata:vm_cpu_idle:cores%s' % sel(),
                 'short',
                 ['instance', 'domain', 'job'],
                 'idle vCPUs'),
      candidates('VMs with the most idle memory',
                 'strata:vm_memory_idle:bytes%s' % sel(),
                 'bytes',
                 ['instance', 'domain', 'guest_instance', 'job', 'uuid'],
                 'idle memory'),
      candidates('Containers with the most idle CPU',
                 'strata:container_cpu_idle:cores%s' % sel(),
                 'short',
                 ['instance', 'cgroup', 'job'],
                 'idle cores'),
      candidates('Containers with the most idle memory',
                 'strata:container_memory_idle:bytes%s' % sel(),
                 'bytes',
                 ['instance', 'cgroup', 'job'],
                 'idle memory'),
    ],
  )
