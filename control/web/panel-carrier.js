/**
 * The carrier panel: find a carrier by name or id (a search box: there may be hundreds), see its
 * status, its credit (limit, reserved, available, per currency) and its open orders, and act on
 * it: suspend or reinstate it, change a credit limit, cancel an order. Each action is confirmed
 * in an in-page dialog first, sent with the operator's token (the API checks the role, validates
 * and audits it with the operator's name), and its outcome, or the API's reason for refusing it,
 * is shown at once; the panel then reads the carrier again.
 *
 * Values reach the page through text nodes only; money stays the API's decimal strings.
 */
/* global fetch, window, document */
/** @import { Session } from './session.js' */
/** @import { Carrier } from './types.js' */
import { api } from './api.js';
import { confirmAction } from './confirm-dialog.js';
import { byId, cell, element, moneyCell, showEmpty } from './dom.js';
import { formatTime } from './format.js';
import { destinationName, state } from './state.js';

/** The picked carrier is read again this often, so that its credit and orders stay current. */
const POLL_MS = 5_000;
const MAX_MATCHES = 12;
const MATCHES_CHECK_MS = 500;
const MAX_ORDERS = 200;
/** The shape of an amount the API takes (a decimal string, at most 6 decimals); the API checks the range. */
const DECIMAL_AMOUNT = /^[0-9]{1,13}(\.[0-9]{1,6})?$/;

/** @typedef {{ carrier_id: string, currency: string, limit: string, collateral: string, reserved: string, leased: string, available: string }} CreditAccount */
/** @typedef {{ id: string, side: string, destination_id: string, currency: string, price_per_minute: string, channels: number, channels_open: number, status: string, created_at: string }} Order */

/** @type {string | null} */
let pickedId = null;
/** Bumped on every pick and read: an answer for an earlier one is dropped. */
let generation = 0;
/** True while an action is on its way: the poll waits, so it does not draw over the outcome. */
let acting = false;

/**
 * Sends a change; resolves with the API's answer, refusals included (they carry a reason).
 * @param {Session} session
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<{ ok: boolean, status: number, body: Record<string, unknown> }>}
 */
async function send(session, method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${session.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (response.status === 401) session.tokenRefused();
  const text = await response.text();
  /** @type {Record<string, unknown>} */
  let parsed = {};
  try {
    parsed = text === '' ? {} : /** @type {Record<string, unknown>} */ (JSON.parse(text));
  } catch {
    parsed = { error: 'not_json', message: text.slice(0, 200) };
  }
  return { ok: response.ok, status: response.status, body: parsed };
}

/**
 * @param {string} text
 * @param {'ok' | 'bad' | 'idle'} condition
 */
function showResult(text, condition) {
  const line = byId('carrier-result');
  line.textContent = text;
  line.className = `carrier-result carrier-result-${condition}`;
}

/** @param {unknown} value a field of an API error: text, or nothing */
const text = (value) => (typeof value === 'string' ? value : '');

/**
 * The outcome of an action on the result line: what was done, or the API's reason for refusing.
 * @param {{ ok: boolean, status: number, body: Record<string, unknown> }} answer
 * @param {string} done
 */
function report(answer, done) {
  if (answer.ok) showResult(done, 'ok');
  else showResult(`Refused (${answer.status} ${text(answer.body['error'])}): ${text(answer.body['message'])}`, 'bad');
}

/**
 * Confirms, sends, shows the outcome and reads the carrier again.
 * @param {string} question
 * @param {string} confirmLabel
 * @param {(session: Session) => Promise<{ ok: boolean, status: number, body: Record<string, unknown> }>} action
 * @param {string} done
 */
async function act(question, confirmLabel, action, done) {
  const session = state.session;
  if (!session || !(await confirmAction(question, confirmLabel))) return;
  acting = true;
  try {
    showResult('Sending…', 'idle');
    report(await action(session), done);
  } catch (error) {
    showResult(`Not sent: ${error instanceof Error ? error.message : String(error)}`, 'bad');
  } finally {
    acting = false;
  }
  // The rest of the page learns the carrier's new status too (names, the calls' carriers).
  session.refreshCarriersSoon();
  await refreshPicked(session);
}

// ---- finding a carrier -------------------------------------------------------------------------

/** The carrier list the matches were drawn from: when the page loads a newer one, they are drawn again. */
/** @type {Map<string, Carrier> | null} */
let matchedFrom = null;

function renderMatches() {
  matchedFrom = state.carriers;
  const query = /** @type {HTMLInputElement} */ (byId('carrier-q')).value.trim().toLowerCase();
  const list = byId('carrier-matches');
  if (query === '') {
    list.replaceChildren();
    return;
  }
  const all = [...state.carriers.values()];
  const found = all.filter((carrier) => carrier.name.toLowerCase().includes(query) || carrier.id.startsWith(query));
  if (found.length === 0) {
    list.replaceChildren(element('li', { className: 'dim' }, [all.length === 0 ? 'carriers are loading…' : 'no carrier matches']));
    if (all.length === 0) state.session?.refreshCarriersSoon();
    return;
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  list.replaceChildren(...found.slice(0, MAX_MATCHES).map((carrier) => {
    const button = element('button', { className: `carrier-match${carrier.status === 'active' ? '' : ' suspended'}`, title: carrier.id }, [
      carrier.name, element('span', { className: 'dim' }, [carrier.status === 'active' ? '' : ` (${carrier.status})`]),
    ]);
    button.type = 'button';
    button.dataset['carrierId'] = carrier.id;
    button.addEventListener('click', () => void pick(carrier.id));
    return element('li', {}, [button]);
  }), ...(found.length > MAX_MATCHES ? [element('li', { className: 'dim' }, [`and ${found.length - MAX_MATCHES} more: type more of the name`])] : []));
}

/** @param {string} carrier_id */
async function pick(carrier_id) {
  pickedId = carrier_id;
  byId('carrier-detail').hidden = false;
  showResult('', 'idle');
  const session = state.session;
  if (session) await refreshPicked(session);
}

// ---- the picked carrier ------------------------------------------------------------------------

/** @param {Session} session */
async function refreshPicked(session) {
  const id = pickedId;
  if (id === null) return;
  const mine = ++generation;
  const query = new URLSearchParams({ carrier_id: id, status: 'open', limit: String(MAX_ORDERS) });
  try {
    const [carrier, credit, orders] = await Promise.all([
      /** @type {Promise<Carrier>} */ (api(session, `/v1/carriers/${id}`)),
      /** @type {Promise<{ buyers: CreditAccount[] }>} */ (api(session, `/v1/noc/credit?carrier_id=${id}`)),
      /** @type {Promise<{ orders: Order[] }>} */ (api(session, `/v1/orders?${query.toString()}`)),
    ]);
    if (mine !== generation || id !== pickedId) return;
    renderCarrier(carrier);
    renderCredit(carrier, credit.buyers);
    renderOrders(carrier, orders.orders);
    byId('carrier-error').hidden = true;
  } catch (error) {
    if (mine !== generation) return;
    const stale = byId('carrier-error');
    stale.hidden = false;
    stale.title = `last refresh failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** @param {Carrier} carrier */
function renderCarrier(carrier) {
  byId('carrier-name').textContent = carrier.name;
  byId('carrier-id').textContent = carrier.id;
  const status = byId('carrier-status');
  status.textContent = carrier.status;
  status.className = `badge badge-${carrier.status === 'active' ? 'ok' : 'bad'}`;
  const suspended = carrier.status !== 'active';
  byId('carrier-suspend').hidden = suspended;
  byId('carrier-reinstate').hidden = !suspended;
}

/**
 * @param {Carrier} carrier
 * @param {CreditAccount[]} accounts
 */
function renderCredit(carrier, accounts) {
  const tbody = byId('carrier-credit-rows');
  const currency = /** @type {HTMLInputElement} */ (byId('carrier-limit-currency'));
  if (currency.dataset['carrierId'] !== carrier.id) {
    // A newly picked carrier: offer its first currency for the limit.
    currency.value = accounts[0]?.currency ?? 'USD';
    currency.dataset['carrierId'] = carrier.id;
  }
  if (accounts.length === 0) {
    showEmpty(/** @type {HTMLTableSectionElement} */ (tbody), 6, 'No credit account yet: set a limit below.');
    return;
  }
  tbody.replaceChildren(...accounts.map((account) => {
    const row = element('tr', {}, [cell(account.currency), moneyCell(account.limit), moneyCell(account.collateral), moneyCell(account.reserved), moneyCell(account.leased), moneyCell(account.available)]);
    row.dataset['currency'] = account.currency;
    return row;
  }));
}

/**
 * @param {Carrier} carrier
 * @param {Order[]} orders
 */
function renderOrders(carrier, orders) {
  const tbody = byId('carrier-orders-rows');
  byId('carrier-orders-summary').textContent = orders.length >= MAX_ORDERS ? `the first ${MAX_ORDERS} open orders` : `${orders.length} open`;
  if (orders.length === 0) {
    showEmpty(/** @type {HTMLTableSectionElement} */ (tbody), 7, 'No open order.');
    return;
  }
  tbody.replaceChildren(...orders.map((order) => {
    const cancel = element('button', { className: 'quiet-button cancel-order' }, ['Cancel']);
    cancel.type = 'button';
    const what = `the ${order.side} order for ${destinationName(order.destination_id)} at ${order.price_per_minute} ${order.currency}/min`;
    cancel.addEventListener('click', () => void act(`Cancel ${what} of ${carrier.name} (order ${order.id})? It leaves the book at once.`, 'Cancel the order',
      (session) => send(session, 'DELETE', `/v1/orders/${order.id}`), `Order ${order.id} cancelled.`));
    const row = element('tr', {}, [
      cell(order.side), cell(destinationName(order.destination_id)), moneyCell(order.price_per_minute), cell(order.currency),
      cell(`${order.channels_open}/${order.channels}`, 'num'), cell(formatTime(order.created_at)), element('td', {}, [cancel]),
    ]);
    row.dataset['orderId'] = order.id;
    return row;
  }));
}

// ---- actions -----------------------------------------------------------------------------------

/** @param {'active' | 'suspended'} status */
function setStatus(status) {
  const id = pickedId;
  if (id === null) return;
  const name = byId('carrier-name').textContent ?? id;
  const question = status === 'suspended'
    ? `Suspend ${name}? Its new calls are refused at setup (403, Reason: carrier suspended), it is not routed to as a seller, its orders resting on the book are cancelled and its new orders are refused.`
    : `Reinstate ${name}? It may call, be routed to and trade again.`;
  void act(question, status === 'suspended' ? 'Suspend' : 'Reinstate',
    (session) => send(session, 'PUT', `/v1/carriers/${id}/status`, { status }), `${name} is ${status === 'suspended' ? 'suspended' : 'active again'}.`);
}

/** @param {SubmitEvent} event */
function changeLimit(event) {
  event.preventDefault();
  const id = pickedId;
  if (id === null) return;
  const amount = /** @type {HTMLInputElement} */ (byId('carrier-limit-amount')).value.trim();
  const currency = /** @type {HTMLInputElement} */ (byId('carrier-limit-currency')).value.trim().toUpperCase();
  if (!DECIMAL_AMOUNT.test(amount)) {
    showResult('Not sent: the limit is a decimal amount such as 25000 or 25000.50 (at most 6 decimals).', 'bad');
    return;
  }
  const name = byId('carrier-name').textContent ?? id;
  void act(`Set the credit limit of ${name} to ${amount} ${currency}? Credit control holds it from the next call and order.`, 'Change the limit',
    (session) => send(session, 'PUT', `/v1/carriers/${id}/credit-limit`, { amount, currency }), `The credit limit of ${name} is now ${amount} ${currency}.`);
}

// ---- the panel ---------------------------------------------------------------------------------

/**
 * @param {string} id
 * @param {string[]} headings
 */
function table(id, headings) {
  const tbody = element('tbody', {}, []);
  tbody.id = id;
  return element('div', { className: 'table-wrap' }, [element('table', {}, [element('thead', {}, [element('tr', {}, headings.map((heading) => element('th', {}, [heading])))]), tbody])]);
}

/**
 * @template {HTMLElement} T
 * @param {T} node
 * @param {string} id
 * @returns {T}
 */
function withId(node, id) {
  node.id = id;
  return node;
}

function build() {
  const search = withId(element('input', {}, []), 'carrier-q');
  search.type = 'search';
  search.placeholder = 'carrier name or id';
  search.maxLength = 200;
  search.autocomplete = 'off';
  search.addEventListener('input', renderMatches);
  const error = withId(element('span', { className: 'panel-error' }, ['stale']), 'carrier-error');
  error.hidden = true;

  const suspend = withId(element('button', { className: 'danger-button' }, ['Suspend']), 'carrier-suspend');
  suspend.type = 'button';
  suspend.addEventListener('click', () => setStatus('suspended'));
  const reinstate = withId(element('button', {}, ['Reinstate']), 'carrier-reinstate');
  reinstate.type = 'button';
  reinstate.addEventListener('click', () => setStatus('active'));

  const amount = withId(element('input', {}, []), 'carrier-limit-amount');
  amount.placeholder = 'new limit, e.g. 25000.00';
  amount.inputMode = 'decimal';
  amount.autocomplete = 'off';
  amount.required = true;
  const currency = withId(element('input', { className: 'currency-input' }, []), 'carrier-limit-currency');
  currency.maxLength = 3;
  currency.value = 'USD';
  currency.title = 'currency (ISO 4217)';
  const limitForm = withId(element('form', { className: 'limit-form' }, [element('label', {}, ['Credit limit ']), amount, currency, element('button', {}, ['Change limit'])]), 'carrier-limit-form');
  limitForm.addEventListener('submit', changeLimit);

  const result = withId(element('p', { className: 'carrier-result' }, []), 'carrier-result');
  result.setAttribute('role', 'status');
  const detail = withId(element('div', { className: 'carrier-detail' }, [
    element('div', { className: 'carrier-title' }, [
      withId(element('strong', {}, []), 'carrier-name'), ' ', withId(element('span', { className: 'badge' }, []), 'carrier-status'), ' ',
      withId(element('code', { className: 'dim' }, []), 'carrier-id'), ' ', suspend, reinstate,
    ]),
    result,
    element('h3', {}, ['Credit']),
    table('carrier-credit-rows', ['Cur.', 'Limit', 'Collateral', 'Reserved', 'Leased', 'Available']),
    limitForm,
    element('h3', {}, ['Open orders ', withId(element('span', { className: 'panel-summary' }, []), 'carrier-orders-summary')]),
    table('carrier-orders-rows', ['Side', 'Destination', 'Price/min', 'Cur.', 'Channels open', 'Placed', '']),
  ]), 'carrier-detail');
  detail.hidden = true;

  const section = withId(element('section', { className: 'panel panel-carrier' }, [
    element('div', { className: 'panel-head' }, [element('h2', {}, ['Carrier']), search, error]),
    withId(element('ul', { className: 'carrier-matches' }, []), 'carrier-matches'),
    detail,
  ]), 'panel-carrier');
  return section;
}

function main() {
  const section = build();
  // Placed after the call search, ahead of the NOC panels that other scripts append.
  const after = document.getElementById('panel-call-search');
  if (after) after.after(section);
  else byId('dashboard').append(section);
  // The page reloads the carrier list now and then (names, statuses): the matches follow it, and
  // a search typed before the list first arrived is answered once it has.
  window.setInterval(() => {
    if (matchedFrom !== state.carriers) renderMatches();
  }, MATCHES_CHECK_MS);
  window.setInterval(() => {
    const session = state.session;
    if (!session || acting || pickedId === null || document.getElementById('dashboard')?.hidden) return;
    void refreshPicked(session);
  }, POLL_MS);
}

main();
