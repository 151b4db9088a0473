// Queries a Prometheus server the way Grafana's Prometheus data source does
// and returns the data frames Grafana's back end would hand to the browser.
//
// The frame shape follows Grafana's back-end converter
// (pkg/promlib/converter/prom.go): one frame per series, a "Time" field and
// a "Value" field carrying the series' labels, meta.custom.resultType set to
// Prometheus' result type, meta.type "timeseries-multi" ("numeric-multi" for
// instant vectors), refId of the query. The frames are built as Grafana's
// wire JSON and decoded with @grafana/data's dataFrameFromJSON, as the
// browser does.
'use strict';

const {grafanaData} = require('./grafana_frontend.cjs');

class PrometheusClient {
  constructor(baseUrl) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  async get(path, params) {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(params)) {
      for (const item of [].concat(value)) url.searchParams.append(key, String(item));
    }
    const response = await fetch(url);
    const body = await response.json().catch(() => null);
    if (!body || body.status !== 'success') {
      const reason = body && body.error ? body.error : `HTTP ${response.status}`;
      throw new Error(`${path} failed: ${reason}`);
    }
    return body.data;
  }

  // label_values(selector, label) as Grafana's Prometheus data source
  // resolves it: the label values API with the selector as match[].
  async labelValues(label, selector, startMs, endMs) {
    const params = {start: startMs / 1000, end: endMs / 1000};
    if (selector) params['match[]'] = selector;
    return this.get(`/api/v1/label/${encodeURIComponent(label)}/values`, params);
  }

  async instantQuery(expr, timeMs) {
    return this.get('/api/v1/query', {query: expr, time: timeMs / 1000});
  }

  async rangeQuery(expr, startMs, endMs, stepMs) {
    return this.get('/api/v1/query_range', {
      query: expr,
      start: startMs / 1000,
      end: endMs / 1000,
      step: stepMs / 1000,
    });
  }
}

function sampleValue(text) {
  // Prometheus sends numbers as strings, including "NaN", "+Inf", "-Inf".
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

// Prometheus' query result -> Grafana back-end frames for one query.
function framesFromResult(data, refId, {instant, intervalMs}) {
  const resultType = data.resultType;
  const series =
    resultType === 'scalar' ? [{metric: {}, value: data.result}] : data.result;
  return series.map((item) => {
    const points = item.values || (item.value ? [item.value] : []);
    const frameJson = {
      schema: {
        refId,
        meta: {
          type: instant && resultType === 'vector' ? 'numeric-multi' : 'timeseries-multi',
          typeVersion: [0, 1],
          custom: {resultType},
        },
        fields: [
          {name: 'Time', type: 'time', config: intervalMs ? {interval: intervalMs} : {}},
          {name: 'Value', type: 'number', labels: {...item.metric}, config: {}},
        ],
      },
      data: {
        values: [points.map(([time]) => Math.round(time * 1000)), points.map(([, value]) => sampleValue(value))],
      },
    };
    const frame = grafanaData.dataFrameFromJSON(frameJson);
    frame.refId = refId;
    return frame;
  });
}

module.exports = {PrometheusClient, framesFromResult};
