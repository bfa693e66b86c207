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
/* global fetch, window, document */
/** @import { Session } from './session.js' */
/** @import { KeyedRow } from './frame.js' */
import { api } from './api.js';
import { byId, cell, element, showEmpty } from './dom.js';
import { drawKeyedRows, setClass, setText } from './frame.js';
import { carrierName, destinationName, state } from './state.js';
import { makeCharts, pickRoute, refreshOverview, refreshRouteChart } from './noc-charts.js';
import { pdd, percent, seconds } from './format.js';

const POLL_MS = 2_000;
const AMBER_BP = 7_500;
const RED_BP = 9_000;

/** @typedef {{ attempts: number, answered: number, asr: number | null, acd_s: number | null, ner: number | null, pdd_ms: number | null, short_call_ratio: number | null, cps: number, cutoffs: number, rejects: Record<string, number> }} Stats */
/** @typedef {{ kind: string, id: string, destination_id: string, concurrent: number, short: Stats, long: Stats }} RouteQuality */
/** @typedef {{ id: string, rule_id: string, scope_kind: string, scope_id: string, destination_id: string, state: string, message: string, raised_at: string, acknowledged_by: string | null }} Alarm */
/** @typedef {{ id: string, kind: string, trunk_id: string | null, carrier_id: string | null, destination_id: string | null, trade_id: string | null, cps_limit: number | null, reason: string, source: string, created_at: string }} Control */

/** @typedef {{ trunk_id: string, state: string, since: string | null }} Trunk */
/** @typedef {{ carrier_id: string, name: string, currency: string, limit: string, reserved: string, leased: string, available: string, used_bp: number | null }} CreditBuyer */

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
      pickRoute({ kind: 'seller_destination', id: route.id, destination_id: route.destination_id });
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
  makeCharts();
  wireBlockForm();
  // Polls while a session is signed in; a new session (sign-in again) is picked up at the next tick.
  window.setInterval(() => {
    const session = state.session;
    if (!session || document.getElementById('dashboard')?.hidden) return;
    void refresh(session);
  }, POLL_MS);
}

main();
