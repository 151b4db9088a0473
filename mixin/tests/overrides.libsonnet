// A configuration far from the defaults, for config_test.sh: another cluster
// label shown on the dashboards, another job selector, an alert name prefix,
// another runbook location, changed thresholds and right-sizing windows.
{
  _config+:: {
    clusterLabel: 'k8s_cluster',
    showMultiCluster: true,
    strataSelector: 'job="node-strata"',
    alertNamePrefix: 'Strata',
    runbookURLPattern: 'https://runbooks.example.com/strata/%s',
    alertLabels: { team: 'infra' },
    dashboardUidPrefix: 'acme-strata-',
    rightsizingWindow: '7d',
    alerts+: {
      HypervisorVCPUOvercommitHigh+: { threshold: 6, severity: 'critical' },
      ConvergenceStale+: { toolSeconds+: { chef: 5400 } },
      VMOversized+: { threshold: 0.1, window: '3d' },
    },
  },
}
