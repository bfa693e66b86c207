/**
 * The NOC panels of the live page: charts of calls per second, calls in progress, ASR and ACD
 * (the whole exchange, and the route picked in the route table), the route table with measured
 * quality, seller trunks' health, the alarms panel, credit utilisation bars, and the operator's
 * controls. Everything here polls the NOC API every few seconds while a session is signed in.
 * Every action is confirmed first, sent with the operator's token, and audited by the API.
 *
 * Rows are kept by key from one poll to the next and written in place, only where a value changed
 * (200 carriers' credit bars are not made again every two seconds); values reach the page through
 * text nodes only.
 */
/* global fetch, window, document, console */
/** @import { Session } from './session.js' */
/** @import { KeyedRow } from './frame.js' */
import { api } from './api.js';
import { byId, cell, element, showEmpty } from './dom.js';
import { drawKeyedRows, setClass, setText } from './frame.js';
import { carrierName, destinationName, state } from './state.js';

const POLL_MS = 2_000;
/** Points kept per live chart: 30 minutes at one point per poll. */
const MAX_POINTS = 900;
const AMBER_BP = 7_500;
const RED_BP = 9_000;

/** @typedef {{ attempts: number, answered: number, asr: number | null, acd_s: number | null, ner: number | null, pdd_ms: number | null, short_call_ratio: number | null, cps: number, cutoffs: number, rejects: Record<string, number> }} Stats */
/** @typedef {{ kind: string, id: string, destination_id: string, concurrent: number, short: Stats, long: Stats }} RouteQuality */
/** @typedef {{ id: string, rule_id: string, scope_kind: string, scope_id: string, destination_id: string, state: string, message: string, raised_at: string, acknowledged_by: string | null }} Alarm */
/** @typedef {{ id: string, kind: string, trunk_id: string | null, carrier_id: string | null, destination_id: string | null, trade_id: string | null, cps_limit: number | null, reason: string, source: string, created_at: string }} Control */

/** @typedef {{ trunk_id: string, state: string, since: string | null }} Trunk */
/** @typedef {{ carrier_id: string, name: string, currency: string, limit: string, reserved: string, leased: string, available: string, used_bp: number | null }} CreditBuyer */

/** @typedef {{ setData(data: Array<Array<number | null>>, resetScales?: boolean): void, setScale(key: string, limits: { min: number, max: number }): void }} Chart */
/** uPlot, loaded by its own script tag from /vendor/uplot (absent if it failed to load). */
const uPlot = /** @type {{ uPlot?: new (options: object, data: unknown[], host: HTMLElement) => Chart }} */ (/** @type {unknown} */ (window)).uPlot;

/** @type {{ t: number[], cps: number[], live: number[], asr: Array<number | null>, acd: Array<number | null> }} */
const series = { t: [], cps: [], live: [], asr: [], acd: [] };
/** @type {Record<string, Chart>} */
const charts = {};
/** @type {{ kind: string, id: string, destination_id: string } | null} */
let pickedRoute = null;
/** Rows kept from one poll to the next, by key, and written in place. */
const routeRows = /** @type {Map<string, KeyedRow<RouteQuality>>} */ (new Map());
const creditRows = /** @type {Map<string, KeyedRow<CreditBuyer>>} */ (new Map());
const alarmRows = /** @type {Map<string, KeyedRow<Alarm>>} */ (new Map());
const controlRows = /** @type {Map<string, KeyedRow<Control>>} */ (new Map());
const trunkBadges = /** @type {Map<string, KeyedRow<Trunk>>} */ (new Map());

/**
 * Writes texts and classes into cells, only where they changed.
 * @param {HTMLTableCellElement[]} cells
 * @param {Array<[string, string]>} values text and class name, cell by cell
 */
function writeCells(cells, values) {
  values.forEach(([text, className], index) => {
    const td = cells[index];
    if (!td) return;
    setText(td, text);
    setClass(td, className);
    const title = text.length > 14 ? text : '';
    if (td.title !== title) td.title = title;
  });
}

/**
 * @param {Session} session
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
async function send(session, method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${session.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
}

/**
 * An action the operator confirms; the panels are refreshed after it.
 * @param {string} question
 * @param {(session: Session) => Promise<void>} action
 */
async function act(question, action) {
  const session = state.session;
  if (!session || !window.confirm(question)) return;
  try {
    await action(session);
    await refresh(session);
  } catch (error) {
    window.alert(String(error));
  }
}

const percent = (/** @type {number | null} */ value) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
const seconds = (/** @type {number | null} */ value) => (value === null ? '—' : `${value.toFixed(0)} s`);
const pdd = (/** @type {number | null} */ value) => (value === null ? '—' : `${(value / 1000).toFixed(1)} s`);

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
async function refreshOverview(session) {
  /** @type {{ at: string, concurrent: number, short: Stats }} */
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

/** @param {Session} session */
async function refreshRoutes(session) {
  /** @type {{ scopes: RouteQuality[] }} */
  const body = await api(session, '/v1/noc/quality?kind=seller_destination');
  const tbody = byId('route-rows');
  if (body.scopes.length === 0) {
    routeRows.clear();
    showEmpty(tbody, 10, 'No calls measured in the last hour.');
    return;
  }
  body.scopes.sort((a, b) => b.short.attempts - a.short.attempts || b.long.attempts - a.long.attempts);
  drawKeyedRows(tbody, routeRows, body.scopes, (route) => `${route.id} ${route.destination_id}`, (route) => {
    const out = element('button', { className: 'quiet-button', title: 'take this seller out of routing for this destination' }, ['Take out']);
    out.addEventListener('click', () => void act(`Take ${carrierName(route.id)} out of routing for ${destinationName(route.destination_id)}?`,
      (session) => send(session, 'POST', '/v1/noc/controls', { kind: 'seller_out_of_routing', carrier_id: route.id, destination_id: route.destination_id, reason: 'taken out from the live page' })));
    const cells = Array.from({ length: 9 }, () => cell(''));
    const row = element('tr', { className: 'clickable', title: 'show this route on the route chart' }, [...cells, element('td', {}, [out])]);
    row.addEventListener('click', (event) => {
      if (event.target === out) return;
      pickedRoute = { kind: 'seller_destination', id: route.id, destination_id: route.destination_id };
      if (state.session) void refreshRouteChart(state.session);
    });
    return {
      row,
      update: (/** @type {RouteQuality} */ now) => writeCells(cells, [
        [carrierName(now.id), ''], [destinationName(now.destination_id), ''], [String(now.short.attempts), 'num'],
        [percent(now.short.asr), `num ${now.short.asr !== null && now.short.asr < 0.2 ? 'bad' : ''}`], [seconds(now.short.acd_s), 'num'],
        [percent(now.short.ner), 'num'], [pdd(now.short.pdd_ms), 'num'], [percent(now.short.short_call_ratio), 'num'], [String(now.concurrent), 'num'],
      ]),
    };
  });
}

/** How far back a picked route's per-minute charts go. */
const ROUTE_HISTORY_MINUTES = 120;

/** @param {Session} session */
async function refreshRouteChart(session) {
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

/** @param {Session} session */
async function refreshAlarms(session) {
  /** @type {{ alarms: Alarm[] }} */
  const body = await api(session, '/v1/noc/alarms?open=true');
  const tbody = byId('alarm-rows');
  byId('alarms-summary').textContent = `${body.alarms.length} open`;
  if (body.alarms.length === 0) {
    alarmRows.clear();
    showEmpty(tbody, 6, 'No open alarm.');
    return;
  }
  // An alarm's buttons depend on its state: a new state makes its row again.
  drawKeyedRows(tbody, alarmRows, body.alarms, (alarm) => `${alarm.id} ${alarm.state} ${alarm.acknowledged_by ?? ''}`, (alarm) => {
    const buttons = element('td', {}, []);
    if (alarm.state === 'raised') {
      const ack = element('button', { className: 'quiet-button' }, ['Ack']);
      ack.addEventListener('click', () => void act(`Acknowledge alarm ${alarm.id}?`, (session) => send(session, 'POST', `/v1/noc/alarms/${alarm.id}/ack`)));
      buttons.append(ack);
    }
    const clear = element('button', { className: 'quiet-button' }, ['Clear']);
    clear.addEventListener('click', () => void act(`Clear alarm ${alarm.id} (and lift its action)?`, (session) => send(session, 'POST', `/v1/noc/alarms/${alarm.id}/clear`)));
    buttons.append(clear);
    const cells = Array.from({ length: 5 }, () => cell(''));
    return {
      row: element('tr', { className: `alarm-${alarm.state}` }, [...cells, buttons]),
      update: (/** @type {Alarm} */ now) => {
        const scope = now.scope_kind === 'trunk' ? `trunk ${now.scope_id.slice(0, 8)}`
          : `${carrierName(now.scope_id)}${now.destination_id ? ` → ${destinationName(now.destination_id)}` : ''}`;
        writeCells(cells, [[now.raised_at.slice(11, 19), ''], [now.rule_id, ''], [scope, ''], [now.message, ''], [now.state + (now.acknowledged_by ? ` (${now.acknowledged_by})` : ''), '']]);
      },
    };
  });
}

/** @param {Session} session */
async function refreshTrunks(session) {
  /** @type {{ trunks: Trunk[] }} */
  const body = await api(session, '/v1/noc/trunks');
  const down = body.trunks.filter((trunk) => trunk.state === 'down');
  byId('trunks-summary').textContent = `${body.trunks.length - down.length} up, ${down.length} down`;
  drawKeyedRows(byId('trunk-list'), trunkBadges, body.trunks, (trunk) => trunk.trunk_id, (trunk) => {
    const badge = element('span', { className: 'badge' }, [trunk.trunk_id.slice(0, 8)]);
    return {
      row: badge,
      update: (/** @type {Trunk} */ now) => {
        setClass(badge, `badge badge-${now.state === 'up' ? 'ok' : 'bad'}`);
        const title = `since ${now.since ?? 'start'}`;
        if (badge.title !== title) badge.title = title;
      },
    };
  });
}

/** @param {Session} session */
async function refreshCredit(session) {
  /** @type {{ buyers: CreditBuyer[] }} */
  const body = await api(session, '/v1/noc/credit');
  drawKeyedRows(byId('credit-rows'), creditRows, body.buyers, (buyer) => `${buyer.carrier_id} ${buyer.currency}`, () => {
    const cells = Array.from({ length: 5 }, () => cell(''));
    const bar = element('div', { className: 'credit-bar' }, []);
    const barCell = element('td', { className: 'credit-cell' }, [element('div', { className: 'credit-track' }, [bar])]);
    return {
      row: element('tr', {}, [...cells, barCell]),
      update: (/** @type {CreditBuyer} */ buyer) => {
        writeCells(cells, [[buyer.name, ''], [buyer.currency, ''], [buyer.limit, 'num'], [buyer.reserved, 'num'], [buyer.available, 'num']]);
        const used = buyer.used_bp ?? 0;
        setClass(bar, `credit-bar ${used >= RED_BP ? 'red' : used >= AMBER_BP ? 'amber' : 'green'}`);
        const width = `${Math.min(100, used / 100)}%`;
        if (bar.style.width !== width) bar.style.width = width;
        const title = `${(used / 100).toFixed(1)}% of the pool reserved or leased`;
        if (barCell.title !== title) barCell.title = title;
      },
    };
  });
}

/** @param {Session} session */
async function refreshControls(session) {
  /** @type {{ controls: Control[] }} */
  const body = await api(session, '/v1/noc/controls');
  const tbody = byId('control-rows');
  if (body.controls.length === 0) {
    controlRows.clear();
    showEmpty(tbody, 4, 'Nothing blocked or taken out.');
    return;
  }
  // A control never changes (it is lifted, and a new one placed): its row is kept as made.
  drawKeyedRows(tbody, controlRows, body.controls, (control) => control.id, (control) => {
    const lift = element('button', { className: 'quiet-button' }, ['Lift']);
    lift.addEventListener('click', () => void act(`Lift this ${control.kind.replace(/_/g, ' ')}?`, (session) => send(session, 'DELETE', `/v1/noc/controls/${control.id}`)));
    const cells = Array.from({ length: 3 }, () => cell(''));
    return {
      row: element('tr', {}, [...cells, element('td', {}, [lift])]),
      update: (/** @type {Control} */ now) => {
        const subject = now.trunk_id ? `trunk ${now.trunk_id.slice(0, 8)}${now.cps_limit ? ` ≤ ${now.cps_limit} cps` : ''}`
          : now.trade_id ? `trade ${now.trade_id.slice(0, 8)}`
            : `${carrierName(now.carrier_id)}${now.destination_id ? ` → ${destinationName(now.destination_id)}` : ' (all destinations)'}`;
        writeCells(cells, [[now.kind.replace(/_/g, ' '), ''], [subject, ''], [`${now.reason} (${now.source})`, '']]);
      },
    };
  });
}

/** @param {Session} session */
async function refresh(session) {
  const parts = [refreshOverview, refreshRoutes, refreshAlarms, refreshTrunks, refreshCredit, refreshControls, refreshRouteChart];
  const results = await Promise.allSettled(parts.map((part) => part(session)));
  const failed = results.find((result) => result.status === 'rejected');
  byId('noc-error').hidden = failed === undefined;
  if (failed) byId('noc-error').title = String(failed.reason);
}

function wireBlockForm() {
  const form = /** @type {HTMLFormElement} */ (byId('block-form'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const field = (/** @type {string} */ name) => /** @type {HTMLInputElement | null} */ (form.elements.namedItem(name))?.value.trim() ?? '';
    const trunk_id = field('trunk_id');
    const reason = field('reason') || 'blocked from the live page';
    void act(`Block the buyer trunk ${trunk_id}? Its calls will be refused.`, (session) => send(session, 'POST', '/v1/noc/controls', { kind: 'ingress_trunk_blocked', trunk_id, reason }));
  });
}

/**
 * A panel like the page's others: a head with its title, summary and stale marker, then `body`.
 * @param {string} name
 * @param {string} title
 * @param {Node[]} body
 */
function panel(name, title, body) {
  const summary = element('span', { className: 'panel-summary' }, []);
  summary.id = `${name}-summary`;
  return element('section', { className: `panel panel-${name}` }, [element('div', { className: 'panel-head' }, [element('h2', {}, [title]), summary]), ...body]);
}

/**
 * @param {string[]} headings
 * @param {string} bodyId
 */
function table(headings, bodyId) {
  const tbody = element('tbody', {}, []);
  tbody.id = bodyId;
  return element('div', { className: 'table-wrap' }, [element('table', {}, [element('thead', {}, [element('tr', {}, headings.map((heading) => element('th', {}, [heading])))]), tbody])]);
}

/** @param {string} id */
function chartHost(id) {
  const host = element('div', { className: 'chart' }, []);
  host.id = id;
  return host;
}

/** The NOC panels, added to the dashboard after the page's own. */
function buildPanels() {
  const error = element('span', { className: 'panel-error' }, ['stale']);
  error.id = 'noc-error';
  error.hidden = true;
  const routeTitle = element('h3', {}, ['Pick a route in the table below']);
  routeTitle.id = 'route-chart-title';
  const trunkList = element('div', { className: 'trunk-list' }, []);
  trunkList.id = 'trunk-list';
  const form = element('form', { className: 'block-form' }, []);
  form.id = 'block-form';
  const trunkInput = element('input', {}, []);
  trunkInput.name = 'trunk_id';
  trunkInput.placeholder = 'buyer ingress trunk id';
  trunkInput.required = true;
  const reasonInput = element('input', {}, []);
  reasonInput.name = 'reason';
  reasonInput.placeholder = 'reason (sent in the SIP Reason)';
  form.append(trunkInput, reasonInput, element('button', {}, ['Block trunk']));
  const exchange = panel('noc', 'Exchange quality', [
    element('div', { className: 'charts' }, [chartHost('chart-cps'), chartHost('chart-live'), chartHost('chart-asr'), chartHost('chart-acd')]),
    routeTitle,
    element('div', { className: 'charts' }, [chartHost('chart-route-asr'), chartHost('chart-route-acd')]),
  ]);
  exchange.querySelector('.panel-head')?.append(error);
  document.getElementById('dashboard')?.append(
    exchange,
    panel('routes', 'Routes: seller × destination (5 min)', [table(['Seller', 'Destination', 'Attempts', 'ASR', 'ACD', 'NER', 'PDD', 'Short', 'Live', ''], 'route-rows')]),
    panel('alarms', 'Alarms', [table(['Raised', 'Rule', 'Scope', 'What', 'State', ''], 'alarm-rows')]),
    panel('trunks', 'Seller trunks (OPTIONS)', [trunkList]),
    panel('credit', 'Credit utilisation', [table(['Buyer', 'Cur.', 'Limit', 'Reserved', 'Available', 'Used'], 'credit-rows')]),
    panel('controls', 'Operator controls in force', [form, table(['Kind', 'Subject', 'Reason', ''], 'control-rows')]),
  );
}

function main() {
  buildPanels();
  if (!uPlot) {
    console.error('uPlot did not load: the NOC charts are off');
  } else {
    makeChart('chart-cps', 'Calls per second (5 min)', 'cps');
    makeChart('chart-live', 'Calls in progress', 'calls');
    makeChart('chart-asr', 'ASR % (5 min)', 'ASR');
    makeChart('chart-acd', 'ACD s (5 min)', 'ACD');
    makeChart('chart-route-asr', 'ASR % per minute', 'ASR');
    makeChart('chart-route-acd', 'ACD s per minute', 'ACD');
  }
  wireBlockForm();
  // Polls while a session is signed in; a new session (sign-in again) is picked up at the next tick.
  window.setInterval(() => {
    const session = state.session;
    if (!session || document.getElementById('dashboard')?.hidden) return;
    void refresh(session);
  }, POLL_MS);
}

main();
