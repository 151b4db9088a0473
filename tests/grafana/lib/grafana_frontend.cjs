// Grafana's own front-end code for what a dashboard panel does with query
// results: @grafana/prometheus' result transformer (what the Prometheus data
// source does with the frames its back end returns, e.g. format "table") and
// @grafana/data's transformations (merge, organize, filterByValue, ...).
//
// Those modules import @grafana/runtime (the Grafana app) for two things: the
// data source service behind exemplar links, which the checks never ask for,
// and feature toggles; a stub stands in (grafana_runtime_stub.cjs).
'use strict';

const Module = require('module');
const path = require('path');

const RUNTIME_STUB = path.join(__dirname, 'grafana_runtime_stub.cjs');

// A module of @grafana/prometheus' build, loaded on its own: the package
// index pulls in the query editor (React, Monaco), which needs a browser.
function loadPrometheusModule(name) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === '@grafana/runtime') return RUNTIME_STUB;
    return resolve.call(this, request, ...rest);
  };
  try {
    const packageDir = path.dirname(require.resolve('@grafana/prometheus/package.json'));
    return require(path.join(packageDir, 'dist/cjs', `${name}.cjs`));
  } finally {
    Module._resolveFilename = resolve;
  }
}

const grafanaData = require('@grafana/data');
const resultTransformer = loadPrometheusModule('result_transformer');
// How the data source writes a template variable's values into PromQL.
const escaping = loadPrometheusModule('escaping');

// Grafana's front end runs in a browser: transformDataFrame reads
// window.__grafanaSceneContext when it runs (set only under Scenes, where
// transformation options are not interpolated). Defined after the modules
// are loaded, so none of them takes Node for a browser while loading.
if (typeof globalThis.window === 'undefined') globalThis.window = {};

// Grafana registers its transformations at start-up; these are the ones
// @grafana/data ships, which include every one the dashboards use. Two
// entries (seriesToColumns, joinByField) are one transformation under two
// names: the first registration wins, as in Grafana.
grafanaData.standardTransformersRegistry.setInit(() => {
  const byId = new Map();
  for (const transformation of Object.values(grafanaData.standardTransformers)) {
    if (byId.has(transformation.id)) continue;
    byId.set(transformation.id, {
      id: transformation.id,
      name: transformation.name,
      description: transformation.description,
      // Grafana loads a transformation's code on first use.
      transformation: async () => transformation,
    });
  }
  return [...byId.values()];
});

module.exports = {grafanaData, resultTransformer, escaping};
