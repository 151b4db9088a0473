#!/usr/bin/env node
// Type-checks dashboards against Grafana's published dashboard schema
// (@grafana/schema, generated from Grafana's CUE kinds) with the TypeScript
// compiler:
//
//   node check_dashboard_schema.mjs DASHBOARD.json...
//
// Each dashboard becomes an object literal of type `Dashboard`, so a key the
// schema does not have (a misspelt "fieldconfig"), a value of the wrong type
// or outside an enumeration is a compile error. Each panel's `options` and
// `fieldConfig.defaults.custom` are checked the same way against that panel
// type's own schema (timeseries, stat, table, bargauge, piechart); those are
// partial there, since Grafana fills in what a dashboard leaves out.
//
// Prints the errors with the dashboard's file and the panel's title, and
// exits 1 when there are any, 2 on bad usage.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const {panelsOf} = require('./lib/dashboard_panels.cjs');

const HERE = dirname(fileURLToPath(import.meta.url));

// Panel type -> the module of its schema and whether it has a FieldConfig.
const PANEL_SCHEMAS = {
  timeseries: {module: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen', custom: true},
  stat: {module: 'stat/panelcfg/x/StatPanelCfg_types.gen', custom: false},
  table: {module: 'table/panelcfg/x/TablePanelCfg_types.gen', custom: true},
  bargauge: {module: 'bargauge/panelcfg/x/BarGaugePanelCfg_types.gen', custom: false},
  piechart: {module: 'piechart/panelcfg/x/PieChartPanelCfg_types.gen', custom: true},
};

// The TypeScript source that checks one dashboard, and for each line range
// the panel it belongs to.
function sourceFor(dashboard) {
  const lines = [];
  const owners = [];
  const add = (text, owner) => {
    for (const line of text.split('\n')) {
      lines.push(line);
      owners.push(owner);
    }
  };
  add(`import type {Dashboard} from '@grafana/schema';`, null);
  const types = Object.entries(PANEL_SCHEMAS);
  for (const [type, schema] of types) {
    add(`import type * as ${type} from '@grafana/schema/dist/esm/raw/composable/${schema.module}';`, null);
  }
  // JSON holds an enumeration's value, not TypeScript's enum: string enums
  // become the union of their values (\`${E}\`); numeric ones accept numbers.
  add(`type Json<T> = T extends string ? \`\${T}\` : T extends (infer U)[] ? Json<U>[] :
    T extends object ? {[K in keyof T]: Json<T[K]>} : T;`, null);
  add(`type DeepPartial<T> = T extends string ? \`\${T}\` : T extends (infer U)[] ? DeepPartial<U>[] :
    T extends object ? {[K in keyof T]?: DeepPartial<T[K]>} : T;`, null);
  add(`export const dashboard: Json<Dashboard> = ${JSON.stringify(dashboard, null, 2)};`, 'the dashboard');
  panelsOf(dashboard).forEach((panel, index) => {
    const owner = `panel "${panel.title}" (${panel.type})`;
    const schema = PANEL_SCHEMAS[panel.type];
    if (!schema) {
      add(`// ${owner}: no panel schema checked`, owner);
      return;
    }
    add(`export const options${index}: DeepPartial<${panel.type}.Options> = ` +
        `${JSON.stringify(panel.options || {}, null, 2)};`, owner);
    const custom = panel.fieldConfig && panel.fieldConfig.defaults && panel.fieldConfig.defaults.custom;
    if (schema.custom) {
      add(`export const custom${index}: DeepPartial<${panel.type}.FieldConfig> = ` +
          `${JSON.stringify(custom || {}, null, 2)};`, owner);
    } else if (custom && Object.keys(custom).length) {
      add(`export const custom${index}: Record<string, never> = ${JSON.stringify(custom)};`, owner);
    }
  });
  return {text: lines.join('\n') + '\n', owners};
}

function check(files) {
  const sources = new Map();
  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(file, 'utf8'));
    // Virtual files next to node_modules, so that imports resolve.
    const virtual = join(HERE, `.schema-check-${basename(file, '.json')}.ts`);
    sources.set(virtual, {file, ...sourceFor(dashboard)});
  }
  const options = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (sources.has(name) ? sources.get(name).text : readFile(name));
  host.fileExists = (name) => sources.has(name) || fileExists(name);
  host.getSourceFile = (name, language, ...rest) =>
    sources.has(name) ? ts.createSourceFile(name, sources.get(name).text, language, true)
                      : getSourceFile(name, language, ...rest);
  const program = ts.createProgram([...sources.keys()], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const problems = [];
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
    const source = diagnostic.file && sources.get(diagnostic.file.fileName);
    if (!source) {
      const where = diagnostic.file ? diagnostic.file.fileName : 'compiler';
      problems.push(`${where}: ${message}`);
      continue;
    }
    const {line} = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const lineText = source.text.split('\n')[line].trim();
    problems.push(`${source.file}: ${source.owners[line] || 'imports'}: ${message}\n    at: ${lineText}`);
  }
  return problems;
}

function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: check_dashboard_schema.mjs DASHBOARD.json...');
    process.exit(2);
  }
  const problems = check(files);
  for (const problem of problems) console.error(problem);
  console.log(`${files.length} dashboard(s) checked against @grafana/schema, ${problems.length} problem(s)`);
  process.exit(problems.length ? 1 : 0);
}

main();
