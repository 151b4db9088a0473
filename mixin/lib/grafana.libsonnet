// Grafana dashboards (schemaVersion 38) for the mixin: a board is a list of
// rows and panels laid out left to right, wrapping at 24 columns; panels and
// variables query the `datasource` variable, and every selector carries the
// cluster, job and instance variables.
local promql = import 'promql.libsonnet';

local DS = { type: 'prometheus', uid: '${datasource}' };
local REF_IDS = 'ABCDEFGHIJ';

// One of the board's query variables, all hosts selected on load.
local queryVariable(name, label, query) = {
  name: name,
  label: label,
  type: 'query',
  datasource: DS,
  query: { query: query, refId: name },
  refresh: 2,
  sort: 1,
  hide: 0,
  includeAll: true,
  multi: true,
  current: { selected: true, text: ['All'], value: ['$__all'] },
};

// `cfg` is the mixin's _config.
function(cfg) {
  local g = self,
  local clusterLabel = cfg.clusterLabel,
  local clusterMatchers = if clusterLabel == '' then [] else ['%s=~"$cluster"' % clusterLabel],

  // What every dashboard selector carries: the hosts the variables choose.
  sel(extra=''):: promql.matchers(clusterMatchers + ['job=~"$job"', 'instance=~"$instance"', extra]),
  // The labels that identify a host in the dashboards, then `extra`.
  host(extra=[]):: promql.labelList(promql.clusterLabels(cfg) + ['job', 'instance'] + extra),

  datasource:: DS,
  statusMap:: [{
    type: 'value',
    options: {
      '0': { text: 'failed', color: 'red', index: 0 },
      '1': { text: 'ok', color: 'green', index: 1 },
    },
  }],
  tableOptions:: { showHeader: true, cellHeight: 'sm' },

  // A table of one info-style query's labels, in the order given (the host
  // first, after the cluster when several are shown); the sample value, time
  // and metric name are hidden.
  labelTable(columns)::
    local shown = (if cfg.showMultiCluster && clusterLabel != '' then [clusterLabel] else []) + columns;
    [{
      id: 'organize',
      options: {
        excludeByName: { Time: true, __name__: true, Value: true },
        indexByName: { [shown[i]]: i for i in std.range(0, std.length(shown) - 1) },
      },
    }],

  // With several clusters shown, a host's legend names its cluster too.
  local legend(text) =
    if cfg.showMultiCluster && clusterLabel != ''
    then std.strReplace(text, '{{instance}}', '{{%s}} {{instance}}' % clusterLabel)
    else text,

  row(title):: { type: 'row', title: title, collapsed: false, panels: [], w:: 24, h:: 1 },

  // A panel of `kind` whose `targets` are [expr, legend] pairs.
  panel(kind,
        title,
        targets,
        unit,
        w=12,
        h=8,
        description='',
        defaults={},
        overrides=[],
        options={},
        transformations=null)::
    local instant = std.member(['table', 'stat', 'bargauge', 'piechart'], kind);
    {
      type: kind,
      title: title,
      description: description,
      datasource: DS,
      fieldConfig: { defaults: { unit: unit } + defaults, overrides: overrides },
      options:
        (if kind == 'timeseries' then {
           legend: {
             displayMode: 'table',
             placement: 'bottom',
             showLegend: true,
             calcs: ['lastNotNull', 'max'],
           },
           tooltip: { mode: 'multi', sort: 'desc' },
         } else {}) + options,
      targets: [
        {
          datasource: DS,
          refId: REF_IDS[i],
          expr: targets[i][0],
          legendFormat: legend(targets[i][1]),
          range: !instant,
          instant: instant,
        } + (if kind == 'table' then { format: 'table' } else {})
        for i in std.range(0, std.length(targets) - 1)
      ],
      w:: w,
      h:: h,
    } + (if transformations == null then {} else { transformations: transformations }),

  // Places `items` (rows and panels) as Grafana's grid expects, and numbers them.
  local layout(items) =
    std.foldl(
      function(st, it)
        local wrap = it.type == 'row' || st.x + it.w > 24;
        local y = if wrap && st.x > 0 then st.y + st.rowH else st.y;
        local x = if wrap then 0 else st.x;
        local rowH = if wrap then 0 else st.rowH;
        local placed = it { id: st.id, gridPos: { h: it.h, w: it.w, x: x, y: y } };
        if it.type == 'row'
        then { x: 0, y: y + 1, rowH: 0, id: st.id + 1, out: st.out + [placed] }
        else { x: x + it.w, y: y, rowH: std.max(rowH, it.h), id: st.id + 1, out: st.out + [placed] },
      items,
      { x: 0, y: 0, rowH: 0, id: 1, out: [] },
    ).out,

  // A dashboard. `instanceMulti: false` makes the instance variable pick
  // one host (the first, on load).
  dashboard(name, title, description, tags, items, instanceMulti=true)::
    local buildInfo(matchers) = 'strata_exporter_build_info' + promql.matchers(matchers);
    local cluster =
      queryVariable('cluster',
                    'Cluster',
                    'label_values(%s, %s)' % [buildInfo([cfg.strataSelector]), clusterLabel]) +
      { allValue: '.*', hide: if cfg.showMultiCluster then 0 else 2 };
    local job = queryVariable('job', 'Job', 'label_values(%s, job)' %
                                            buildInfo(clusterMatchers + [cfg.strataSelector]));
    local instance =
      queryVariable('instance', 'Instance', 'label_values(%s, instance)' %
                                            buildInfo(clusterMatchers + ['job=~"$job"'])) +
      (if instanceMulti then {} else {
         // No current value: Grafana selects the first host on load.
         includeAll: false,
         multi: false,
         current:: null,
       });
    {
      uid: cfg.dashboardUidPrefix + name,
      title: cfg.dashboardTitlePrefix + title,
      description: description,
      tags: cfg.dashboardTags + tags,
      id: null,
      version: 1,
      schemaVersion: 38,
      editable: true,
      graphTooltip: 1,
      timezone: cfg.dashboardTimezone,
      refresh: cfg.dashboardRefresh,
      time: { from: cfg.dashboardTimeFrom, to: 'now' },
      timepicker: {},
      fiscalYearStartMonth: 0,
      liveNow: false,
      annotations: {
        list: [{
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        }],
      },
      links: [{
        title: 'strata dashboards',
        type: 'dashboards',
        tags: cfg.dashboardTags,
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
      }],
      templating: {
        list: [{
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          regex: '',
          hide: 0,
          refresh: 1,
          includeAll: false,
          multi: false,
        }] + (if clusterLabel == '' then [] else [cluster]) + [job, instance],
      },
      panels: layout(items),
    },
}
