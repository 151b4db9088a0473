// PromQL text from the configuration: selectors, label lists and numbers.
// Everything takes the configuration (`cfg`) so that the rules and the
// dashboards write the cluster label and the selectors the same way.
{
  // A number as PromQL (and a reader) expects it: 0.1 rather than
  // 0.10000000000000001, 86400 rather than 86400.0.
  num(x)::
    if std.type(x) == 'string' then x
    else if x == std.floor(x) && std.abs(x) < 1e15 then std.toString(std.floor(x))
    else std.format('%.15g', x),

  // The cluster label as a one-element list, or an empty one.
  clusterLabels(cfg):: if cfg.clusterLabel == '' then [] else [cfg.clusterLabel],

  // Label names as a grouping list: "cluster, instance, job".
  labelList(labels):: std.join(', ', labels),

  // The labels that identify a host in the rules, then `extra`.
  hostLabels(cfg, extra=[]):: self.clusterLabels(cfg) + ['instance', 'job'] + extra,

  // `{a, b}` from non-empty matchers, '' when there are none.
  matchers(list)::
    local present = std.filter(function(m) m != '', list);
    if std.length(present) == 0 then '' else '{' + std.join(',', present) + '}',

  // The rules' selector: the strata selector, then `extra` matchers.
  sel(cfg, extra=[]):: self.matchers([cfg.strataSelector] + extra),

  // `op by (labels) ` or, without labels, `op`: the opening of an aggregation.
  aggregate(op, labels)::
    if std.length(labels) == 0 then op else '%s by (%s) ' % [op, self.labelList(labels)],

  // A regex alternative of literal words: "a|b|c".
  alternatives(words):: std.join('|', words),
}
