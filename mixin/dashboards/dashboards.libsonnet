// The Grafana dashboards, by file name (dashboards/<name>).
{
  grafanaDashboards+:: {
    local cfg = $._config,
    'fleet.json': (import 'fleet.libsonnet')(cfg),
    'host.json': (import 'host.libsonnet')(cfg),
    'cgroups.json': (import 'cgroups.libsonnet')(cfg),
    'hypervisor.json': (import 'hypervisor.libsonnet')(cfg),
    'convergence.json': (import 'convergence.libsonnet')(cfg),
    'density.json': (import 'density.libsonnet')(cfg),
  },
}
