/**
 * The NOC's charts (uPlot): calls per second, calls in progress, ASR and ACD for the whole exchange
 * over the last 30 minutes, and a picked route's ASR and ACD per minute over two hours.
 */
/* global window, console */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { byId } from './dom.js';
import { pdd, percent, seconds } from './format.js';
import { carrierName, destinationName, state } from './state.js';

/** Points kept per live chart: 30 minutes at one point per poll. */
const MAX_POINTS = 900;

/** @typedef {{ attempts: number, asr: number | null, acd_s: number | null, ner: number | null, pdd_ms: number | null, cps: number }} OverviewStats */
/** @typedef {{ setData(data: Array<Array<number | null>>, resetScales?: boolean): void, setScale(key: string, limits: { min: number, max: number }): void }} Chart */
/** uPlot, loaded by its own script tag from /vendor/uplot (absent if it failed to load). */
const uPlot = /** @type {{ uPlot?: new (options: object, data: unknown[], host: HTMLElement) => Chart }} */ (/** @type {unknown} */ (window)).uPlot;

/** @type {{ t: number[], cps: number[], live: number[], asr: Array<number | null>, acd: Array<number | null> }} */
const series = { t: [], cps: [], live: [], asr: [], acd: [] };
/** @type {Record<string, Chart>} */
const charts = {};
/** @type {{ kind: string, id: string, destination_id: string } | null} */
let pickedRoute = null;

/**
 * @param {string} id
 * @param {string} title
 * @param {string} label
 */
function makeChart(id, title, label) {
  if (!uPlot) return;
  const host = byId(id);
  const width = Math.max(240, host.clientWidth || 300);
  // No point yet (a route not picked, the page's first poll) or one gives uPlot no span, and its
  // own padding then stretches the time axis over years: show the last five minutes instead.
  /** @type {(self: unknown, min: number | null, max: number | null) => [number, number]} */
  const timeRange = (_self, min, max) => {
    const end = max ?? Date.now() / 1000;
    return min === null || end - min < 60 ? [end - 300, end + 30] : [min, end];
  };
  charts[id] = new uPlot({ title, width, height: 140, scales: { x: { time: true, range: timeRange } }, series: [{}, { label, stroke: '#4da3ff', width: 1.5, spanGaps: true }], legend: { show: false } }, [[], []], host);
}

function drawLiveCharts() {
  const pairs = /** @type {const} */ ([['chart-cps', series.cps], ['chart-live', series.live], ['chart-asr', series.asr], ['chart-acd', series.acd]]);
  for (const [id, values] of pairs) charts[id]?.setData([series.t, values]);
}

/** @param {Session} session */
export async function refreshOverview(session) {
  /** @type {{ at: string, concurrent: number, short: OverviewStats }} */
  const overview = await api(session, '/v1/noc/overview');
  series.t.push(Date.parse(overview.at) / 1000);
  series.cps.push(overview.short.cps);
  series.live.push(overview.concurrent);
  series.asr.push(overview.short.asr === null ? null : overview.short.asr * 100);
  series.acd.push(overview.short.acd_s);
  if (series.t.length > MAX_POINTS) for (const values of Object.values(series)) values.shift();
  drawLiveCharts();
  byId('noc-summary').textContent = `5 min: ${overview.short.attempts} attempts, ASR ${percent(overview.short.asr)}, ACD ${seconds(overview.short.acd_s)}, NER ${percent(overview.short.ner)}, PDD ${pdd(overview.short.pdd_ms)} · ${overview.concurrent} live`;
}

/** Makes the six charts; without uPlot (its script failed to load) the page goes on without them. */
export function makeCharts() {
  if (!uPlot) {
    console.error('uPlot did not load: the NOC charts are off');
    return;
  }
  makeChart('chart-cps', 'Calls per second (5 min)', 'cps');
  makeChart('chart-live', 'Calls in progress', 'calls');
  makeChart('chart-asr', 'ASR % (5 min)', 'ASR');
  makeChart('chart-acd', 'ACD s (5 min)', 'ACD');
  makeChart('chart-route-asr', 'ASR % per minute', 'ASR');
  makeChart('chart-route-acd', 'ACD s per minute', 'ACD');
}

/**
 * Shows this route on the route charts.
 * @param {{ kind: string, id: string, destination_id: string }} route
 */
export function pickRoute(route) {
  pickedRoute = route;
  if (state.session) void refreshRouteChart(state.session);
}

/** How far back a picked route's per-minute charts go. */
const ROUTE_HISTORY_MINUTES = 120;

/** @param {Session} session */
export async function refreshRouteChart(session) {
  if (!pickedRoute) return;
  const query = new URLSearchParams({ kind: pickedRoute.kind, id: pickedRoute.id, destination_id: pickedRoute.destination_id, minutes: String(ROUTE_HISTORY_MINUTES) });
  /** @type {{ minutes: Array<{ minute: string, attempts: number, answered: number, talk_ms: number }> }} */
  const body = await api(session, `/v1/noc/quality/history?${query.toString()}`);
  const t = body.minutes.map((minute) => Date.parse(minute.minute) / 1000);
  const asr = body.minutes.map((minute) => (minute.attempts === 0 ? null : (minute.answered / minute.attempts) * 100));
  const acd = body.minutes.map((minute) => (minute.answered === 0 ? null : minute.talk_ms / minute.answered / 1000));
  byId('route-chart-title').textContent = `${carrierName(pickedRoute.id)} → ${destinationName(pickedRoute.destination_id)}: per minute`;
  // The route's charts always show the two hours asked for, however few minutes had calls.
  const now_s = Date.now() / 1000;
  for (const [id, values] of /** @type {const} */ ([['chart-route-asr', asr], ['chart-route-acd', acd]])) {
    const chart = charts[id];
    if (!chart) continue;
    chart.setData([t, values], false);
    chart.setScale('x', { min: now_s - ROUTE_HISTORY_MINUTES * 60, max: now_s + 30 });
  }
}
