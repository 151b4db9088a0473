// The strata_exporter monitoring mixin: recording rules, alerts and Grafana
// dashboards from one configuration (config.libsonnet), in the fields every
// mixin consumer (kube-prometheus, grizzly, mixtool) reads:
//   prometheusRules    {groups: [...]}  the recording rules
//   prometheusAlerts   {groups: [...]}  the alerting rules
//   grafanaDashboards  {'fleet.json': {...}, ...}
// Override _config from your own jsonnet rather than editing these files;
// config.libsonnet says how.
(import 'config.libsonnet') +
(import 'rules.libsonnet') +
(import 'alerts.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
