// Stands in for @grafana/runtime (the Grafana app) when modules of
// @grafana/prometheus are loaded outside Grafana; see grafana_frontend.cjs.
'use strict';

module.exports = {
  // No feature toggles: Grafana's defaults.
  config: {featureToggles: {}},
  getDataSourceSrv() {
    throw new Error('@grafana/runtime is not available outside Grafana (exemplar links only)');
  },
};
