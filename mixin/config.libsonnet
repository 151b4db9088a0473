// The one configuration of the strata_exporter mixin: the recording rules, the
// alerts (alerts/strata.rules.yml) and the dashboards (dashboards/*.json) are
// all generated from it by mixin/generate.
//
// Change a value here and run mixin/generate, or leave this file alone and
// override it from your own jsonnet:
//
//   (import 'strata_exporter/mixin/mixin.libsonnet') + {
//     _config+:: {
//       strataSelector: 'job="strata-exporter"',
//       clusterLabel: 'k8s_cluster',
//       alerts+: { HypervisorVCPUOvercommitHigh+: { threshold: 6 } },
//     },
//   }
{
  _config+:: {
    // ---------------------------------------------------------------- selectors and labels

    // Selects the exporter's series: it is added to every series selector of
    // the rules (ExporterDown's up{} among them) and to the dashboards' job
    // variable. deploy/prometheus.yml scrapes the exporter as job "strata".
    // Empty selects on the strata_* metric names alone.
    strataSelector: 'job=~".*strata.*"',

    // The label that tells clusters (or Prometheus servers, regions...) apart.
    // Every join and every aggregation that keeps a host's identity carries
    // it, so two clusters' hosts with the same instance name never meet in a
    // join; series without it match as they did before (PromQL treats an
    // absent label as the empty string), so a single cluster loses nothing.
    // Empty leaves it out of every rule and dashboard.
    clusterLabel: 'cluster',
    // Shows the dashboards' cluster variable (it is there, hidden, whenever
    // clusterLabel is set), the cluster in legends and a cluster column in
    // label tables. For Prometheus servers (or Thanos, Mimir) that hold
    // several clusters' series.
    showMultiCluster: false,

    // ---------------------------------------------------------------- alerts

    // Prepended to every alert name (e.g. 'Strata'); the runbook anchors keep
    // the names without it.
    alertNamePrefix: '',
    // %s is the alert's name without prefix, in lower case (write a literal % as %%).
    runbookURLPattern: 'https://github.com/strata-exporter/strata_exporter/blob/main/docs/runbooks.md#%s',
    // Labels every alert carries besides its severity (e.g. { team: 'infra' }).
    alertLabels: {},

    // The window of the recording rules' rate(); 10 scrapes at the 30 s
    // interval of deploy/prometheus.yml. Dashboards use $__rate_interval.
    rateWindow: '5m',

    // The long window of the right-sizing rules (strata:*_idle:*): capacity
    // given and left idle on average over it. They average the 5m recording
    // rules with avg_over_time rather than rate() the raw counters over the
    // window: one pre-aggregated series per host, VM or container, sampled
    // at the evaluation interval, instead of every mode's raw samples at the
    // scrape interval, so a 1d window reads ~1440 points per series at a 1m
    // evaluation interval, not 2880 per mode at a 30 s scrape.
    rightsizingWindow: '1d',

    // Each alert's `for`, severity and thresholds, by alert name.
    alerts: {
      ConvergenceStale: {
        'for': '10m',
        severity: 'warning',
        // Seconds since the last run, per tool, and for every tool not named.
        // CFEngine runs every 5 minutes; Puppet and Chef every 30 minutes by
        // default; the documented ansible-pull cron every 30 minutes.
        toolSeconds: { cfengine: 3600 },
        seconds: 7200,
      },
      ConvergenceFailing: { 'for': '1h', severity: 'warning' },
      ConfigDriftDetected: { 'for': '15m', severity: 'warning' },
      PuppetAgentDisabledTooLong: { 'for': '10m', severity: 'warning', seconds: 86400 },
      FileBaselineDrift: { 'for': '15m', severity: 'warning' },
      PackageBaselineDrift: { 'for': '1h', severity: 'warning' },
      // Distinct versions per image and cluster.
      ImageSprawl: { 'for': '6h', severity: 'info', versions: 3 },
      // Distinct image ids (builds) running per container image repository
      // and cluster: "one repository, six builds in production".
      ContainerImageSprawl: { 'for': '6h', severity: 'info', digests: 3 },
      // Seconds since the image a running container runs was built.
      ContainerImageTooOld: { 'for': '1h', severity: 'info', seconds: 90 * 86400 },
      // A container whose configuration trees (the exporter's
      // --collector.cgroup.drift-paths, /etc by default) differ from its
      // image. warning, not critical: the change is unreviewed and the next
      // redeploy silently undoes it, but nothing is down. Where containers
      // must be immutable (a regulated environment) and drift is an incident,
      // override the severity to critical.
      ContainerDriftedFromImage: { 'for': '15m', severity: 'warning' },
      // vCPUs of running domains per host CPU.
      HypervisorVCPUOvercommitHigh: { 'for': '15m', severity: 'warning', threshold: 4 },
      // Maximum memory of running domains per byte of host memory.
      HypervisorMemoryOvercommitHigh: { 'for': '15m', severity: 'warning', threshold: 1 },
      // Share of CPU time spent waiting for a physical CPU.
      GuestCPUStealHigh: { 'for': '15m', severity: 'warning', threshold: 0.1 },
      DomainCrashedOrPaused: {
        'for': '5m',
        severity: 'critical',
        // Pauses an operator or libvirt chose, which end on their own.
        ignoredPauseReasons: [
          'user',
          'migration',
          'save',
          'dump',
          'snapshot',
          'from_snapshot',
          'starting_up',
          'shutting_down',
          'postcopy',
        ],
      },
      // Throttled CFS periods / periods over `window`, for cgroups with a CPU
      // limit and more than `minPeriods` periods in the window.
      CgroupCPUThrottlingHigh: {
        'for': '15m',
        severity: 'info',
        threshold: 0.25,
        window: '30m',
        minPeriods: 1000,
      },
      CgroupOOMKilled: { 'for': '0m', severity: 'warning', window: '15m' },
      // Working set / memory limit.
      CgroupMemoryNearLimit: { 'for': '15m', severity: 'warning', threshold: 0.9 },
      // Right-sizing: a VM (a libvirt domain) or a container (a cgroup of
      // kind container with a limit) whose average use over `window` stayed
      // under `threshold` of what it was given, for `for` in a row: CPU
      // (host-side CPU time / vCPUs; use / CPU limit) and memory (the guest's
      // balloon view / maximum; working set / memory limit), each its own
      // alert, labelled resource="cpu" or "memory".
      VMOversized: { 'for': '2d', severity: 'info', threshold: 0.2, window: '1d' },
      ContainerOversized: { 'for': '2d', severity: 'info', threshold: 0.2, window: '1d' },
      ExporterCollectorFailing: { 'for': '15m', severity: 'warning' },
      ExporterDown: { 'for': '5m', severity: 'warning' },
    },

    // ---------------------------------------------------------------- dashboards

    dashboardUidPrefix: 'strata-',
    dashboardTitlePrefix: 'Strata / ',
    // Every dashboard carries these tags, and links to the others by them.
    dashboardTags: ['strata'],
    dashboardRefresh: '1m',
    dashboardTimeFrom: 'now-6h',
    dashboardTimezone: '',
    // Where the overcommit bar gauges of the fleet dashboard turn red (they
    // turn orange at the alert thresholds above).
    vcpuOvercommitRed: 8,
    memoryOvercommitRed: 1.5,
  },
}
