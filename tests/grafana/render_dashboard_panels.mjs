#!/usr/bin/env node
// Renders every panel of the given dashboards against a running Prometheus the
// way Grafana does on first load, with Grafana's own front-end code, and
// checks what each panel would show.
//
//   node render_dashboard_panels.mjs --prometheus http://127.0.0.1:9090 \
//     [--scrape-interval 30s] [--wait-for-first-step] \
//     [--allow-empty "<uid>/<panel title>"]... DASHBOARD.json...
//
// For each dashboard: the time range of its `time` field; the cluster, job
// and instance variables resolved from their label_values() queries, "All"
// expanding to every value (or to the variable's custom all value, as the
// cluster variable's .*, even when the query finds none) and a single-value
// variable without a current value taking the first, as on first load; $__interval from the time range
// and the panel's width (Grafana's rangeUtil), $__rate_interval from it and
// the data source's scrape interval. For each panel: every visible target
// queried (instant or range, as the target says), the results turned into
// Grafana's back-end frames, then Grafana's Prometheus result transformer
// (format "table" and the rest) and the panel's transformations, step by step.
//
// A panel fails when a query errors; when it shows nothing (no frame with a
// row) unless allowed with --allow-empty; when a legend names a label its
// series lack; when a transformation names a field that is not there at that
// step (organize, filterByValue); when a field override matches no field of
// the final result; or when a table shows a __name__ column. An allowed-empty
// panel that shows data fails too, so the allowance is taken off.
//
// Grafana aligns a range query's end down to its step, so a time series panel
// shows data only from the first step boundary after the first scrapes. With
// --wait-for-first-step the script looks up Prometheus' first sample of `up`
// and waits until the largest step of the dashboards has passed after the
// second scrape: the dashboards as they look on their first refresh after
// that, which is at most one step later.
//
// Prints one line per panel (tables with their columns and first row) and
// exits 1 when any panel fails, 2 on bad usage.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {basename} from 'node:path';

const require = createRequire(import.meta.url);
const {grafanaData, resultTransformer, escaping} = require('./lib/grafana_frontend.cjs');
const {PrometheusClient, framesFromResult} = require('./lib/prometheus_frames.cjs');
const {firstValueFrom} = require('rxjs');
const {panelsOf} = require('./lib/dashboard_panels.cjs');

const {dateMath, rangeUtil, transformDataFrame, getFieldDisplayName, FieldType} = grafanaData;

// Grafana's width for a 24-column row on a 1920-pixel screen: a panel's
// maxDataPoints defaults to its width in pixels.
const DASHBOARD_WIDTH_PX = 1920;

function parseArguments(argv) {
  const options = {prometheus: null, scrapeInterval: '15s', waitForFirstStep: false,
                   allowEmpty: new Set(), files: []};
  for (let i = 0; i < argv.length; ++i) {
    const argument = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${argument} needs a value`);
      return argv[++i];
    };
    if (argument === '--prometheus') options.prometheus = value();
    else if (argument === '--scrape-interval') options.scrapeInterval = value();
    else if (argument === '--wait-for-first-step') options.waitForFirstStep = true;
    else if (argument === '--allow-empty') options.allowEmpty.add(value());
    else if (argument.startsWith('--')) throw new Error(`unknown option ${argument}`);
    else options.files.push(argument);
  }
  if (!options.prometheus || options.files.length === 0) {
    throw new Error('usage: render_dashboard_panels.mjs --prometheus URL [--scrape-interval 15s] ' +
                    '[--wait-for-first-step] [--allow-empty UID/TITLE]... DASHBOARD.json...');
  }
  return options;
}

function timeRangeOf(dashboard) {
  const raw = dashboard.time || {from: 'now-6h', to: 'now'};
  return {from: dateMath.parse(raw.from, false), to: dateMath.parse(raw.to, true), raw};
}

// Replaces $name, ${name}, ${name:format} and [[name]] as Grafana's template
// service does; `format(name, value)` writes one variable's value.
function interpolate(text, variables, format) {
  return text.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (match, a, b, c) => {
    const name = a || b || c;
    return Object.prototype.hasOwnProperty.call(variables, name) ? format(name, variables[name]) : match;
  });
}

// The dashboard's query variables, resolved in order as on first load.
async function resolveVariables(dashboard, prometheus, range) {
  const values = {};
  const models = {};
  const verbatim = new Set();  // variables set to their custom all value
  const format = (name, value) => verbatim.has(name) ? String(value) :
    models[name] ? escaping.interpolateQueryExpr(value, models[name]) : String(value);
  for (const variable of (dashboard.templating && dashboard.templating.list) || []) {
    if (variable.type !== 'query') continue;
    const definition = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const query = interpolate(definition, values, format);
    const match = /^\s*label_values\((?:(.*),)?\s*(\w+)\s*\)\s*$/.exec(query);
    if (!match) throw new Error(`variable ${variable.name}: only label_values() is supported, not ${query}`);
    let options = await prometheus.labelValues(match[2], match[1] && match[1].trim(), range.from.valueOf(),
                                               range.to.valueOf());
    if (variable.sort === 1) options = [...options].sort();  // alphabetical, ascending
    const current = variable.current && variable.current.value;
    const all = [].concat(current || []).includes('$__all');
    if (all && variable.includeAll && variable.allValue) {
      // Grafana offers "All" even when the query finds nothing, and writes a
      // custom all value (the cluster variable's .*) into queries unescaped.
      values[variable.name] = variable.allValue;
      verbatim.add(variable.name);
    } else if (options.length === 0) {
      values[variable.name] = variable.multi ? [] : '';
    } else if (all && variable.includeAll) {
      values[variable.name] = options;
    } else {
      values[variable.name] = variable.multi ? [options[0]] : options[0];
    }
    models[variable.name] = variable;
  }
  return {values, format};
}

function isInstant(target) {
  return target.instant === true && target.range !== true;
}

// The largest step of any range query of the dashboards, in milliseconds.
function largestRangeStepMs(dashboards, scrapeInterval) {
  let largest = 0;
  for (const dashboard of dashboards) {
    const range = timeRangeOf(dashboard);
    for (const panel of panelsOf(dashboard)) {
      if (!(panel.targets || []).some((target) => !target.hide && !isInstant(target))) continue;
      largest = Math.max(largest, intervalsFor(panel, range, scrapeInterval).intervalMs);
    }
  }
  return largest;
}

function intervalsFor(panel, range, scrapeInterval) {
  const width = Math.round(((panel.gridPos && panel.gridPos.w) || 24) / 24 * DASHBOARD_WIDTH_PX);
  const maxDataPoints = panel.maxDataPoints || width;
  const {interval, intervalMs} = rangeUtil.calculateInterval(range, maxDataPoints, panel.interval || scrapeInterval);
  // Grafana's Prometheus back end: max($__interval + scrape interval, 4 x scrape interval).
  const scrapeMs = rangeUtil.intervalToMs(scrapeInterval);
  const rateMs = Math.max(intervalMs + scrapeMs, 4 * scrapeMs);
  return {interval, intervalMs, rateInterval: `${Math.round(rateMs / 1000)}s`};
}

async function queryPanel(panel, context) {
  const {prometheus, range, variables, scrapeInterval} = context;
  const {interval, intervalMs, rateInterval} = intervalsFor(panel, range, scrapeInterval);
  const builtins = {__interval: interval, __rate_interval: rateInterval,
                    __range: `${Math.round((range.to - range.from) / 1000)}s`};
  const frames = [];
  const targets = (panel.targets || []).filter((target) => !target.hide && target.expr);
  const stepMs = Math.max(intervalMs, 1000);
  // Grafana's back end aligns a range query's start and end to the step.
  const startMs = Math.floor(range.from.valueOf() / stepMs) * stepMs;
  const endMs = Math.floor(range.to.valueOf() / stepMs) * stepMs;
  for (const target of targets) {
    const expr = interpolate(interpolate(target.expr, builtins, (_, value) => value), variables.values,
                             variables.format);
    const instant = isInstant(target);
    let data;
    try {
      data = instant ? await prometheus.instantQuery(expr, range.to.valueOf())
                     : await prometheus.rangeQuery(expr, startMs, endMs, stepMs);
    } catch (error) {
      throw new Error(`target ${target.refId}: ${error.message}\n      ${expr}`);
    }
    frames.push(...framesFromResult(data, target.refId, {instant, intervalMs: instant ? 0 : stepMs}));
  }
  return {frames, targets};
}

function fieldNames(frames) {
  const names = new Set();
  for (const frame of frames) {
    for (const field of frame.fields) names.add(getFieldDisplayName(field, frame, frames));
  }
  return names;
}

// Names a transformation expects among its input fields.
function namesUsedBy(transformation) {
  const options = transformation.options || {};
  switch (transformation.id) {
    case 'organize':
      return [...Object.keys(options.excludeByName || {}), ...Object.keys(options.renameByName || {}),
              ...Object.keys(options.indexByName || {})];
    case 'filterByValue':
      return (options.filters || []).map((filter) => filter.fieldName);
    case 'sortBy':
      return (options.sort || []).map((sort) => sort.field).filter(Boolean);
    default:
      return [];
  }
}

// A legend's {{label}} that a series lacks renders as an empty string, so
// series become indistinguishable: each such label is a problem.
function legendProblems(targets, frames) {
  const problems = [];
  for (const target of targets) {
    const names = [...(target.legendFormat || '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
    for (const name of new Set(names)) {
      const lacking = frames.filter((frame) => frame.refId === target.refId &&
                                               !(name in (frame.fields[1].labels || {})));
      if (lacking.length) {
        problems.push(`target ${target.refId}: legend names {{${name}}}, which ${lacking.length} ` +
                      'series lack');
      }
    }
  }
  return problems;
}

function rowsOf(frames) {
  return frames.reduce((total, frame) => total + frame.length, 0);
}

function describeTable(frames) {
  return frames.map((frame) => {
    const names = frame.fields.map((field) => getFieldDisplayName(field, frame, frames));
    const first = frame.fields.map((field) => {
      const value = field.values[0];
      return field.type === FieldType.time ? 'time' : JSON.stringify(value);
    });
    return `[${names.join(', ')}] x${frame.length}, first row (${first.join(', ')})`;
  }).join('; ');
}

async function renderPanel(panel, context) {
  const problems = [];
  const {frames, targets} = await queryPanel(panel, context);
  problems.push(...legendProblems(targets, frames));
  // What the Prometheus data source returns to the panel.
  const request = {targets, app: 'dashboard'};
  let result = resultTransformer.transformV2({data: frames}, request, {}).data;
  // The panel's transformations, one at a time so that each one's field
  // names are checked against its own input.
  for (const transformation of panel.transformations || []) {
    if (transformation.disabled) continue;
    const available = fieldNames(result);
    for (const name of namesUsedBy(transformation)) {
      if (!available.has(name)) {
        problems.push(`transformation ${transformation.id} names field "${name}", ` +
                      `which is not among [${[...available].join(', ')}]`);
      }
    }
    // No transformation option uses a template variable, so interpolation is
    // the identity.
    const context = {interpolate: (value) => value};
    result = await firstValueFrom(transformDataFrame([transformation], result, context));
  }
  const finalNames = fieldNames(result);
  for (const override of (panel.fieldConfig && panel.fieldConfig.overrides) || []) {
    const matcher = override.matcher || {};
    if (matcher.id === 'byName' && !finalNames.has(matcher.options)) {
      problems.push(`field override for "${matcher.options}" matches no field of ` +
                    `[${[...finalNames].join(', ')}]`);
    }
  }
  // A table shows label columns: Prometheus' metric name is not one, and when
  // it is there, rows of different queries do not merge on their labels.
  if (panel.type === 'table' && finalNames.has('__name__')) {
    problems.push('table shows a __name__ column');
  }
  const hasValues = result.some((frame) => frame.length > 0 &&
      frame.fields.some((field) => field.type !== FieldType.time));
  return {result, problems, hasValues, targets: targets.length};
}

// When Prometheus first scraped anything: at each second of the last hour,
// timestamp() gives the time of the latest sample of `up`, so its minimum is
// the first sample's.
async function firstSampleTime(prometheus) {
  const data = await prometheus.instantQuery('min(min_over_time(timestamp(up)[1h:1s]))', Date.now());
  if (!data.result.length) throw new Error('--wait-for-first-step: Prometheus has no sample of up yet');
  return Number(data.result[0].value[1]) * 1000;
}

async function main() {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
  const prometheus = new PrometheusClient(options.prometheus);
  const dashboards = options.files.map((file) => ({file, dashboard: JSON.parse(readFileSync(file, 'utf8'))}));
  if (options.waitForFirstStep) {
    const stepMs = largestRangeStepMs(dashboards.map(({dashboard}) => dashboard), options.scrapeInterval);
    const firstSampleMs = await firstSampleTime(prometheus);
    // Two scrapes (rate() needs two samples), then a step boundary.
    const readyMs = firstSampleMs + 2 * rangeUtil.intervalToMs(options.scrapeInterval) + stepMs;
    const waitMs = Math.max(0, readyMs - Date.now());
    console.log(`largest range step ${stepMs / 1000}s: waiting ${(waitMs / 1000).toFixed(1)}s for ` +
                'the first step boundary after the first scrapes');
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  const failures = [];
  const allowedSeen = new Set();
  let panels = 0;
  for (const {file, dashboard} of dashboards) {
    const uid = dashboard.uid || basename(file, '.json');
    const range = timeRangeOf(dashboard);
    const variables = await resolveVariables(dashboard, prometheus, range);
    console.log(`${uid}: ${Object.entries(variables.values)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(' ')}`);
    const context = {prometheus, range, variables, scrapeInterval: options.scrapeInterval};
    for (const panel of panelsOf(dashboard)) {
      if (!panel.targets || panel.targets.length === 0) continue;
      ++panels;
      const key = `${uid}/${panel.title}`;
      const allowed = options.allowEmpty.has(key);
      if (allowed) allowedSeen.add(key);
      let rendered;
      try {
        rendered = await renderPanel(panel, context);
      } catch (error) {
        failures.push(`${key}: ${error.message}`);
        console.log(`  FAIL ${panel.type} "${panel.title}": ${error.message}`);
        continue;
      }
      const {result, problems, hasValues} = rendered;
      if (!hasValues && !allowed) problems.push('shows no data');
      if (hasValues && allowed) problems.push('is allowed to be empty but shows data: take the allowance off');
      for (const problem of problems) failures.push(`${key}: ${problem}`);
      const shape = panel.type === 'table'
          ? describeTable(result)
          : `${result.length} frame(s), ${rowsOf(result)} row(s)`;
      const status = problems.length ? 'FAIL' : allowed ? 'empty (allowed)' : 'ok';
      console.log(`  ${status} ${panel.type} "${panel.title}": ${shape}`);
    }
  }
  for (const key of options.allowEmpty) {
    if (!allowedSeen.has(key)) failures.push(`${key}: allowed to be empty, but no such panel`);
  }
  console.log(`${panels} panels rendered, ${failures.length} problem(s)`);
  if (failures.length) {
    console.error(failures.map((failure) => `- ${failure}`).join('\n'));
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
