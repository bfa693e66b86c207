/**
 * The NOC's live page: health, calls in progress, the last CDRs, carriers' balances and the market,
 * kept current by the API's Server-Sent Events stream and a few slow polls.
 *
 * Every value from the API reaches the page through `textContent` (never as markup), and money stays
 * the decimal string the API sent: it is only trimmed of trailing zeros, by string operations.
 */
/* global document, sessionStorage, history, location, fetch, console, TextDecoder, AbortController, setTimeout, clearTimeout, setInterval, clearInterval */

/**
 * @typedef {{ status: string, database: boolean, switch: boolean, agent: boolean }} Health
 * @typedef {{ id: string, name: string, status: string, created_at: string }} Carrier
 * @typedef {{ id: string, name: string }} Destination
 * @typedef {{ call_id: string, buyer_id: string, number: string, destination_id: string, state: string,
 *   setup_at: string, answer_at: string | null, seller_id: string | null, legs_tried: number }} LiveCall
 * @typedef {{ call_id: string, buyer_id: string | null, seller_id: string | null, dialled_number: string,
 *   destination: string | null, final_sip_code: number, final_reason: string, ended_by: string, duration_ms: number,
 *   billed_s: number | null, buyer_amount: string | null, seller_amount: string | null, fee_amount: string | null,
 *   currency: string | null, end_at: string, rated: boolean, posted: boolean }} Cdr
 * @typedef {{ account: string, currency: string, balance: string }} Balance
 * @typedef {{ balanced: boolean, totals: Array<{ currency: string, total: string }>, cached_balance_mismatches: number }} TrialBalance
 * @typedef {{ id: string, buyer_id: string, seller_id: string, destination_id: string, price_per_minute: string,
 *   currency: string, increments: string, channels: number, status: string, created_at: string }} Trade
 * @typedef {{ event: string, data: string }} StreamFrame
 * @typedef {{ call: LiveCall, row: HTMLTableRowElement, duration: HTMLTableCellElement }} LiveRow
 * @typedef {'live' | 'error' | 'stale'} PanelCondition
 */

/** Where the operator token is kept: per browser tab, gone when the tab closes. */
const TOKEN_STORAGE_KEY = 'minutex.operatorToken';
const HEALTH_POLL_MS = 4_000;
/** Slow polls that repair whatever a dropped stream event left behind. */
const RESYNC_POLL_MS = 30_000;
const CARRIERS_POLL_MS = 15_000;
/** A burst of CDRs (hundreds a second at peak) refreshes the lists at most this often. */
const CDR_REFRESH_WAIT_MS = 500;
const BALANCE_REFRESH_WAIT_MS = 1_500;
const TRADE_REFRESH_WAIT_MS = 300;
const CDR_LIMIT = 50;
const TRADE_LIMIT = 20;
const STREAM_RETRY_FIRST_MS = 1_000;
const STREAM_RETRY_MAX_MS = 30_000;
/** The server writes a keep-alive every 15 s: silence for longer than this means a dead connection. */
const STREAM_SILENCE_MAX_MS = 45_000;
/** A frame larger than this is not one the API sends: the connection is dropped rather than buffered. */
const STREAM_BUFFER_MAX_CHARS = 1_048_576;
/** Calls that ended recently, remembered so that a snapshot taken before their end cannot revive them. */
const ENDED_CALLS_REMEMBERED = 2_000;
/** Account kinds in the order a NOC reads them; any other kind follows in alphabetical order. */
const ACCOUNT_ORDER = ['receivable', 'payable', 'cash', 'deposit', 'letter_of_credit'];

/** The API refused the token: the page goes back to the sign-in form. */
class Unauthorized extends Error {}

/* ------------------------------------------------------------------------------------------------
 * The DOM, built from elements and text nodes only.
 * --------------------------------------------------------------------------------------------- */

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no element #${id}`);
  return element;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, title?: string, colSpan?: number }} [properties]
 * @param {Array<Node | string>} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  if (properties.className) node.className = properties.className;
  if (properties.title) node.title = properties.title;
  if (properties.colSpan && node instanceof HTMLTableCellElement) node.colSpan = properties.colSpan;
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

/**
 * A table cell holding plain text (`append` of a string makes a text node).
 * @param {string} text
 * @param {string} [className]
 * @param {string} [title]
 */
function cell(text, className, title) {
  return element('td', { className, title: title ?? (text.length > 14 ? text : undefined) }, [text]);
}

/**
 * @param {HTMLElement} tbody
 * @param {number} columns
 * @param {string} message
 */
function showEmpty(tbody, columns, message) {
  tbody.replaceChildren(element('tr', { className: 'empty' }, [element('td', { colSpan: columns }, [message])]));
}

/**
 * @param {string} id
 * @param {'ok' | 'bad' | 'warn' | 'idle'} condition
 * @param {string} text
 * @param {string} [title]
 */
function setBadge(id, condition, text, title) {
  const badge = byId(id);
  badge.className = `badge badge-${condition}`;
  badge.textContent = text;
  if (title !== undefined) badge.title = title;
}

/**
 * Marks a panel whose last refresh failed, so that nobody mistakes old rows for current ones.
 * @param {string} panel
 * @param {unknown} error
 */
function setPanelError(panel, error) {
  const note = byId(`${panel}-error`);
  note.hidden = error === null;
  note.textContent = error === null ? '' : 'stale';
  note.title = error === null ? '' : `last refresh failed: ${describe(error)}`;
}

/** @param {unknown} error */
function describe(error) {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}

/* ------------------------------------------------------------------------------------------------
 * Formatting. Money is a decimal string and stays one.
 * --------------------------------------------------------------------------------------------- */

/**
 * "0.012500" → ["0.0125", "00"]: the significant part and the trailing zeros, which the page dims so
 * that amounts still line up on the decimal point. At least two decimals stay significant.
 * @param {string} amount
 * @returns {[string, string]}
 */
function splitTrailingZeros(amount) {
  const match = /^(-?\d+)\.(\d*?)(0*)$/.exec(amount);
  if (!match) return [amount, ''];
  const [, whole = '', significant = '', zeros = ''] = match;
  const kept = Math.max(0, 2 - significant.length);
  return [`${whole}.${significant}${zeros.slice(0, kept)}`, zeros.slice(kept)];
}

/**
 * @param {string | null} amount
 * @param {string} [extraClass]
 */
function moneyCell(amount, extraClass = '') {
  if (amount === null) return cell('—', `num dim ${extraClass}`);
  const [significant, zeros] = splitTrailingZeros(amount);
  const negative = amount.startsWith('-') ? ' negative' : '';
  return element('td', { className: `num money${negative} ${extraClass}`, title: amount }, [significant, element('span', { className: 'zeros' }, [zeros])]);
}

/** @param {number} value */
const twoDigits = (value) => String(value).padStart(2, '0');

/**
 * 65_400 → "1:05", 3_723_000 → "1:02:03". Whole seconds, rounded down, as a call timer shows them.
 * @param {number} milliseconds
 */
function formatDuration(milliseconds) {
  const totalSeconds = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}:${twoDigits(minutes)}:${twoDigits(seconds)}` : `${minutes}:${twoDigits(seconds)}`;
}

/**
 * An ISO time as the NOC reads it, in UTC: "05:52:51" today, "11-25 05:52" on another day.
 * @param {string | null} iso
 */
function formatTime(iso) {
  if (!iso) return '—';
  const today = new Date(serverNow()).toISOString().slice(0, 10);
  return iso.slice(0, 10) === today ? iso.slice(11, 19) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/**
 * @param {number} code
 */
function sipClass(code) {
  if (code >= 200 && code < 300) return 'sip-2xx';
  if (code >= 400 && code < 500) return 'sip-4xx';
  if (code >= 500) return 'sip-5xx';
  return 'sip-other';
}

/* ------------------------------------------------------------------------------------------------
 * What the page knows.
 * --------------------------------------------------------------------------------------------- */

const state = {
  /** @type {Map<string, Carrier>} */
  carriers: new Map(),
  /** @type {Map<string, Destination>} */
  destinations: new Map(),
  /** @type {Map<string, LiveRow>} */
  liveRows: new Map(),
  /** @type {Set<string>} */
  endedCalls: new Set(),
  /** @type {Set<string>} */
  seenCdrs: new Set(),
  /** @type {Set<string>} */
  seenTrades: new Set(),
  /** The server's clock minus this browser's, learnt from the stream's hello, so call timers agree with the switch. */
  clockOffsetMs: 0,
  /** The names last shown, to tell whether a refresh of the names changed anything. */
  namesSignature: '',
  /** @type {Session | null} */
  session: null,
};

const serverNow = () => Date.now() + state.clockOffsetMs;

/**
 * A carrier's name, or the start of its id while the carrier list catches up.
 * @param {string | null} id
 */
function carrierName(id) {
  if (id === null) return '—';
  const carrier = state.carriers.get(id);
  if (carrier) return carrier.name;
  state.session?.refreshCarriersSoon();
  return id.slice(0, 8);
}

/** @param {string} id */
function destinationName(id) {
  const destination = state.destinations.get(id);
  if (destination) return destination.name;
  state.session?.refreshCarriersSoon();
  return id.slice(0, 8);
}

/* ------------------------------------------------------------------------------------------------
 * The API. Every /v1 request carries the operator's bearer token; a 401 signs the page out.
 * --------------------------------------------------------------------------------------------- */

/**
 * @template T
 * @param {Session} session
 * @param {string} path
 * @returns {Promise<T>}
 */
async function api(session, path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${session.token}`, accept: 'application/json' }, signal: session.signal, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized('the API refused the token');
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  /** @type {unknown} */
  const body = await response.json();
  return /** @type {T} */ (body);
}

/**
 * Runs a refresh; a failure marks its panel as stale instead of breaking the page.
 * @param {Session} session
 * @param {string} panel
 * @param {() => Promise<void>} refresh
 */
async function guarded(session, panel, refresh) {
  try {
    await refresh();
    setPanelError(panel, null);
  } catch (error) {
    if (session.signal.aborted) return;
    if (error instanceof Unauthorized) {
      signOut('The API refused the token. Enter it again.');
      return;
    }
    console.warn(`refreshing ${panel} failed`, error);
    setPanelError(panel, error);
  }
}

/**
 * At most one run at a time; requests made meanwhile collapse into one more run afterwards, so an
 * older response never overwrites a newer one.
 * @param {() => Promise<void>} refresh
 * @returns {() => Promise<void>}
 */
function serialised(refresh) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await refresh();
      } while (again);
    } finally {
      running = false;
    }
  };
}

/* ------------------------------------------------------------------------------------------------
 * Health and the ledger check.
 * --------------------------------------------------------------------------------------------- */

/** @param {Session} session */
async function refreshHealth(session) {
  try {
    const response = await fetch('/healthz', { signal: session.signal, cache: 'no-store' });
    /** @type {unknown} */
    const body = await response.json();
    const health = /** @type {Health} */ (body);
    setBadge('badge-api', health.status === 'ok' ? 'ok' : 'warn', health.status === 'ok' ? 'API ok' : 'API degraded', `GET /healthz: ${response.status}`);
    for (const part of /** @type {const} */ (['database', 'switch', 'agent'])) {
      setBadge(`badge-${part}`, health[part] ? 'ok' : 'bad', health[part] ? part : `${part} DOWN`);
    }
  } catch (error) {
    if (session.signal.aborted) return;
    setBadge('badge-api', 'bad', 'API UNREACHABLE', describe(error));
    for (const part of ['database', 'switch', 'agent']) setBadge(`badge-${part}`, 'idle', `${part} ?`, 'unknown while the API is unreachable');
    // A server that is shutting down may keep an open stream that will carry nothing more: drop
    // it, so that the stream badge tells the truth and the page reconnects when the API is back.
    session.dropStream();
  }
}

/** @param {TrialBalance} trial */
function showTrialBalance(trial) {
  const totals = trial.totals.map((total) => `${total.currency.trim()} ${total.total}`).join(', ') || 'no postings yet';
  const detail = `totals: ${totals}; cached balance mismatches: ${trial.cached_balance_mismatches}`;
  if (trial.balanced) setBadge('badge-ledger', 'ok', 'ledger balanced', detail);
  else setBadge('badge-ledger', 'bad', 'LEDGER OUT OF BALANCE', detail);
  const mismatchClass = trial.cached_balance_mismatches === 0 ? '' : 'ledger-bad';
  byId('ledger-footer').replaceChildren(
    element('span', {}, ['Trial balance: ', element('strong', { className: trial.balanced ? '' : 'ledger-bad' }, [trial.balanced ? 'balanced' : 'OUT OF BALANCE'])]),
    element('span', {}, ['Totals: ', element('strong', {}, [totals])]),
    element('span', {}, ['Cached balance mismatches: ', element('strong', { className: mismatchClass }, [String(trial.cached_balance_mismatches)])]),
  );
}

/* ------------------------------------------------------------------------------------------------
 * Carriers and destinations: names for the ids in every other table.
 * --------------------------------------------------------------------------------------------- */

/** @param {Session} session */
async function refreshNames(session) {
  const [carrierList, destinationList] = await Promise.all([
    /** @type {Promise<{ carriers: Carrier[] }>} */ (api(session, '/v1/carriers')),
    /** @type {Promise<{ destinations: Destination[] }>} */ (api(session, '/v1/destinations')),
  ]);
  const carriers = carrierList.carriers;
  const destinations = destinationList.destinations;
  const signature = JSON.stringify([carriers, destinations.map((destination) => [destination.id, destination.name])]);
  const firstLoad = state.namesSignature === '';
  const changed = signature !== state.namesSignature;
  state.namesSignature = signature;
  state.carriers = new Map(carriers.map((carrier) => [carrier.id, carrier]));
  state.destinations = new Map(destinations.map((destination) => [destination.id, destination]));
  if (changed && !firstLoad) {
    // The tables already drawn show ids or old names: draw them again.
    renderAllLiveCalls();
    session.refreshTrades();
    session.refreshCdrs();
    session.refreshBalances();
  }
}

/* ------------------------------------------------------------------------------------------------
 * Calls in progress: updated row by row from the stream, re-read in full now and then.
 * --------------------------------------------------------------------------------------------- */

/**
 * @param {LiveCall} call
 * @returns {LiveRow}
 */
function liveCallRow(call) {
  const answered = call.answer_at !== null;
  const duration = element('td', { className: answered ? 'num timer' : 'num timer dim', title: answered ? 'since answer' : 'since setup, not answered yet' });
  const row = element('tr', { title: `Call-ID ${call.call_id}` }, [
    cell(formatTime(call.setup_at), 'num time'),
    cell(carrierName(call.buyer_id)),
    cell(call.number, 'mono'),
    cell(destinationName(call.destination_id)),
    cell(carrierName(call.seller_id), call.seller_id === null ? 'dim' : ''),
    element('td', {}, [element('span', { className: `state state-${call.state}` }, [call.state])]),
    cell(String(call.legs_tried), 'num'),
    duration,
  ]);
  const entry = { call, row, duration };
  tickLiveRow(entry, serverNow());
  return entry;
}

/**
 * @param {LiveRow} entry
 * @param {number} nowMs
 */
function tickLiveRow(entry, nowMs) {
  const since = entry.call.answer_at ?? entry.call.setup_at;
  entry.duration.textContent = formatDuration(nowMs - Date.parse(since));
}

function showLiveSummary() {
  const rows = byId('live-rows');
  const total = state.liveRows.size;
  let answered = 0;
  for (const entry of state.liveRows.values()) if (entry.call.answer_at !== null) answered += 1;
  byId('live-summary').textContent = `${total} in progress · ${answered} answered`;
  if (total === 0) showEmpty(rows, 8, 'No calls in progress.');
  else rows.querySelector('tr.empty')?.remove();
}

/** @param {string} callId */
function rememberEnded(callId) {
  state.endedCalls.add(callId);
  if (state.endedCalls.size > ENDED_CALLS_REMEMBERED) {
    const oldest = state.endedCalls.values().next().value;
    if (oldest !== undefined) state.endedCalls.delete(oldest);
  }
}

/**
 * Applies one `call` event: a new call goes on top, a changed one is redrawn where it is, an ended one leaves.
 * @param {LiveCall} call
 */
function applyCallEvent(call) {
  const existing = state.liveRows.get(call.call_id);
  if (call.state === 'ended') {
    rememberEnded(call.call_id);
    existing?.row.remove();
    state.liveRows.delete(call.call_id);
  } else if (!state.endedCalls.has(call.call_id)) {
    const entry = liveCallRow(call);
    if (existing) existing.row.replaceWith(entry.row);
    else byId('live-rows').prepend(entry.row);
    state.liveRows.set(call.call_id, entry);
  }
  showLiveSummary();
}

/** @param {LiveCall[]} calls */
function replaceLiveCalls(calls) {
  const current = calls.filter((call) => call.state !== 'ended' && !state.endedCalls.has(call.call_id));
  current.sort((a, b) => b.setup_at.localeCompare(a.setup_at));
  state.liveRows = new Map(current.map((call) => [call.call_id, liveCallRow(call)]));
  byId('live-rows').replaceChildren(...[...state.liveRows.values()].map((entry) => entry.row));
  showLiveSummary();
}

function renderAllLiveCalls() {
  replaceLiveCalls([...state.liveRows.values()].map((entry) => entry.call));
}

/** @param {Session} session */
async function refreshLiveCalls(session) {
  const body = /** @type {{ calls: LiveCall[] }} */ (await api(session, '/v1/calls/live'));
  replaceLiveCalls(body.calls);
}

/* ------------------------------------------------------------------------------------------------
 * Last CDRs.
 * --------------------------------------------------------------------------------------------- */

/**
 * Where a CDR is on its way to the ledger: rated (priced), then posted; a call that was never
 * answered is rated at nothing and has nothing to post.
 * @param {Cdr} cdr
 * @returns {[string, string, string]} the label, its class and its explanation
 */
function ledgerFlag(cdr) {
  if (cdr.posted) return ['posted', 'flag-ok', 'rated and posted to the ledger'];
  if (cdr.rated && cdr.buyer_amount === null) return ['no charge', 'dim', 'rated: nothing to charge'];
  if (cdr.rated) return ['rated', 'flag-warn', 'rated, not yet posted to the ledger'];
  return ['pending', 'flag-warn', 'waiting to be rated'];
}

/**
 * @param {Cdr} cdr
 * @param {boolean} fresh
 */
function cdrRow(cdr, fresh) {
  const ledger = ledgerFlag(cdr);
  return element('tr', { className: fresh ? 'fresh' : '', title: `Call-ID ${cdr.call_id}` }, [
    cell(formatTime(cdr.end_at), 'num time'),
    cell(carrierName(cdr.buyer_id)),
    cell(carrierName(cdr.seller_id), cdr.seller_id === null ? 'dim' : ''),
    cell(cdr.dialled_number, 'mono'),
    cell(cdr.destination ?? '—', cdr.destination === null ? 'dim' : ''),
    cell(String(cdr.final_sip_code), `num sip ${sipClass(cdr.final_sip_code)}`),
    cell(cdr.final_reason, 'reason', `${cdr.final_reason} (ended by ${cdr.ended_by})`),
    cell(formatDuration(cdr.duration_ms), 'num'),
    cell(cdr.billed_s === null ? '—' : String(cdr.billed_s), cdr.billed_s === null ? 'num dim' : 'num'),
    moneyCell(cdr.buyer_amount),
    moneyCell(cdr.seller_amount),
    moneyCell(cdr.fee_amount),
    cell(cdr.currency ?? '', 'currency dim'),
    cell(ledger[0], ledger[1], ledger[2]),
  ]);
}

/**
 * Answer-seizure ratio and average call duration over the CDRs shown: the two numbers a NOC watches.
 * @param {Cdr[]} cdrs
 */
function cdrSummary(cdrs) {
  if (cdrs.length === 0) return '';
  const answered = cdrs.filter((cdr) => cdr.final_sip_code >= 200 && cdr.final_sip_code < 300);
  const asrPercent = Math.round((answered.length * 100) / cdrs.length);
  const totalMs = answered.reduce((sum, cdr) => sum + cdr.duration_ms, 0);
  const acd = answered.length === 0 ? '—' : formatDuration(totalMs / answered.length);
  return `last ${cdrs.length} · ASR ${asrPercent}% · ACD ${acd}`;
}

/** @param {Session} session */
async function refreshCdrs(session) {
  const body = /** @type {{ cdrs: Cdr[] }} */ (await api(session, `/v1/cdrs?limit=${CDR_LIMIT}`));
  const firstLoad = state.seenCdrs.size === 0;
  const rows = body.cdrs.map((cdr) => cdrRow(cdr, !firstLoad && !state.seenCdrs.has(cdr.call_id)));
  state.seenCdrs = new Set(body.cdrs.map((cdr) => cdr.call_id));
  const tbody = byId('cdr-rows');
  if (rows.length === 0) showEmpty(tbody, 14, 'No CDRs yet.');
  else tbody.replaceChildren(...rows);
  byId('cdrs-summary').textContent = cdrSummary(body.cdrs);
}

/* ------------------------------------------------------------------------------------------------
 * Carriers' balances and the trial balance.
 * --------------------------------------------------------------------------------------------- */

/** @param {string[]} kinds */
function orderAccountKinds(kinds) {
  const known = ACCOUNT_ORDER.filter((kind) => kinds.includes(kind) || kind === 'receivable' || kind === 'payable');
  const others = kinds.filter((kind) => !ACCOUNT_ORDER.includes(kind)).sort();
  return [...known, ...others];
}

/**
 * @param {Array<{ carrier: Carrier, balances: Balance[] }>} perCarrier
 */
function renderBalances(perCarrier) {
  const kinds = orderAccountKinds([...new Set(perCarrier.flatMap((entry) => entry.balances.map((balance) => balance.account)))]);
  byId('balances-head').replaceChildren(
    element('tr', {}, [
      element('th', {}, ['Carrier']),
      element('th', { className: 'status-column' }, ['Status']),
      element('th', { className: 'currency-column', title: 'currency' }, ['Cur.']),
      ...kinds.map((kind) => element('th', { className: 'num amount-column' }, [kind.replaceAll('_', ' ')])),
    ]),
  );
  const rows = perCarrier.flatMap(({ carrier, balances }) => {
    const currencies = [...new Set(balances.map((balance) => balance.currency.trim()))].sort();
    return (currencies.length === 0 ? [null] : currencies).map((currency) =>
      element('tr', {}, [
        cell(carrier.name),
        element('td', {}, [element('span', { className: `state carrier-${carrier.status}` }, [carrier.status])]),
        cell(currency ?? '', 'currency dim'),
        ...kinds.map((kind) => {
          const balance = balances.find((candidate) => candidate.account === kind && candidate.currency.trim() === currency);
          return moneyCell(balance ? balance.balance : null);
        }),
      ]),
    );
  });
  const tbody = byId('balances-rows');
  if (rows.length === 0) showEmpty(tbody, 3 + kinds.length, 'No carriers yet.');
  else tbody.replaceChildren(...rows);
  byId('balances-summary').textContent = `${perCarrier.length} carriers`;
}

/** @param {Session} session */
async function refreshBalances(session) {
  try {
    await loadBalances(session);
  } catch (error) {
    // A ledger check that could not be read is not a balanced ledger.
    setBadge('badge-ledger', 'idle', 'ledger ?', `the trial balance could not be read: ${describe(error)}`);
    throw error;
  }
}

/** @param {Session} session */
async function loadBalances(session) {
  const carriers = [...state.carriers.values()];
  const [perCarrier, trial] = await Promise.all([
    Promise.all(
      carriers.map(async (carrier) => {
        const body = /** @type {{ balances: Balance[] }} */ (await api(session, `/v1/carriers/${encodeURIComponent(carrier.id)}/balances`));
        return { carrier, balances: body.balances };
      }),
    ),
    /** @type {Promise<TrialBalance>} */ (api(session, '/v1/ledger/trial-balance')),
  ]);
  renderBalances(perCarrier);
  showTrialBalance(trial);
}

/* ------------------------------------------------------------------------------------------------
 * Market.
 * --------------------------------------------------------------------------------------------- */

/**
 * @param {Trade} trade
 * @param {boolean} fresh
 */
function tradeRow(trade, fresh) {
  return element('tr', { className: fresh ? 'fresh' : '', title: `trade ${trade.id}` }, [
    cell(formatTime(trade.created_at), 'num time'),
    cell(carrierName(trade.buyer_id)),
    cell(carrierName(trade.seller_id)),
    cell(destinationName(trade.destination_id)),
    moneyCell(trade.price_per_minute, 'price'),
    cell(trade.increments, 'num'),
    cell(String(trade.channels), 'num'),
    element('td', {}, [element('span', { className: `state trade-${trade.status}` }, [trade.status])]),
  ]);
}

/** @param {Session} session */
async function refreshTrades(session) {
  const body = /** @type {{ trades: Trade[] }} */ (await api(session, `/v1/trades?limit=${TRADE_LIMIT}`));
  const firstLoad = state.seenTrades.size === 0;
  const rows = body.trades.map((trade) => tradeRow(trade, !firstLoad && !state.seenTrades.has(trade.id)));
  state.seenTrades = new Set(body.trades.map((trade) => trade.id));
  const tbody = byId('trade-rows');
  if (rows.length === 0) showEmpty(tbody, 8, 'No trades yet.');
  else tbody.replaceChildren(...rows);
  const currency = body.trades[0]?.currency;
  byId('market-summary').textContent = body.trades.length === 0 ? '' : `last ${body.trades.length} trades${currency ? ` · prices in ${currency}` : ''}`;
}

/* ------------------------------------------------------------------------------------------------
 * The live stream: Server-Sent Events read with fetch, so that the bearer header travels with it.
 * --------------------------------------------------------------------------------------------- */

/**
 * Splits a buffer into complete SSE frames and the unfinished rest (WHATWG HTML, "Server-sent
 * events", interpreting an event stream): lines end in CR LF, LF or CR; a blank line ends a frame;
 * lines starting with a colon are comments (the server's keep-alives).
 * @param {string} buffer
 * @returns {{ frames: StreamFrame[], rest: string }}
 */
function splitStreamFrames(buffer) {
  // A CR at the very end may be the first half of a CR LF still in flight: wait for the next chunk.
  const complete = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
  const held = buffer.endsWith('\r') ? '\r' : '';
  const blocks = complete.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = (blocks.pop() ?? '') + held;
  const frames = [];
  for (const block of blocks) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return { frames, rest };
}

/**
 * @param {Session} session
 * @param {StreamFrame} frame
 */
function applyStreamFrame(session, frame) {
  /** @type {unknown} */
  let data;
  try {
    data = JSON.parse(frame.data);
  } catch (error) {
    // One bad frame is skipped; the slow resynchronising poll repairs whatever it carried.
    console.warn(`skipped a stream frame (${frame.event}) that is not JSON`, error);
    return;
  }
  switch (frame.event) {
    case 'hello': {
      const at = /** @type {{ at?: string }} */ (data).at;
      if (at) state.clockOffsetMs = Date.parse(at) - Date.now();
      setBadge('badge-stream', 'ok', 'stream live', 'GET /v1/stream connected');
      session.streamLive = true;
      // Anything may have happened before the stream (re)connected: read it all again.
      session.refreshAll();
      break;
    }
    case 'call':
      applyCallEvent(/** @type {LiveCall} */ (data));
      break;
    case 'cdr':
      session.refreshCdrsSoon();
      session.refreshBalancesSoon();
      break;
    case 'market':
      session.refreshTradesSoon();
      break;
    default:
      break;
  }
}

/**
 * One connection to the stream, until it ends, fails or stays silent too long.
 * @param {Session} session
 * @param {() => void} onHello
 */
async function readStream(session, onHello) {
  const connection = new AbortController();
  const abortConnection = () => connection.abort();
  session.dropStream = abortConnection;
  session.signal.addEventListener('abort', abortConnection);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let silence;
  const watch = () => {
    clearTimeout(silence);
    silence = setTimeout(abortConnection, STREAM_SILENCE_MAX_MS);
  };
  try {
    watch();
    const response = await fetch('/v1/stream', { headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' }, signal: connection.signal, cache: 'no-store' });
    if (response.status === 401) throw new Unauthorized('the API refused the token');
    if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      watch();
      const split = splitStreamFrames(buffer + decoder.decode(value, { stream: true }));
      if (split.rest.length > STREAM_BUFFER_MAX_CHARS) throw new Error('a stream frame exceeded the buffer limit');
      buffer = split.rest;
      for (const frame of split.frames) {
        if (frame.event === 'hello') onHello();
        applyStreamFrame(session, frame);
      }
    }
  } finally {
    clearTimeout(silence);
    session.signal.removeEventListener('abort', abortConnection);
    session.dropStream = () => {};
  }
}

/**
 * Keeps the stream open for as long as the session lasts, reconnecting with exponential backoff.
 * @param {Session} session
 */
async function followStream(session) {
  let failures = 0;
  while (!session.signal.aborted) {
    setBadge('badge-stream', 'warn', 'stream connecting…', 'GET /v1/stream');
    try {
      await readStream(session, () => {
        failures = 0;
      });
    } catch (error) {
      if (error instanceof Unauthorized) {
        signOut('The API refused the token. Enter it again.');
        return;
      }
      if (!session.signal.aborted) console.warn('the live stream dropped', error);
    }
    if (session.signal.aborted) return;
    session.streamLive = false;
    // The lists cannot wait for the stream: read them now, and the health poll keeps reading them.
    session.refreshAll();
    failures += 1;
    const delayMs = Math.min(STREAM_RETRY_MAX_MS, STREAM_RETRY_FIRST_MS * 2 ** (failures - 1));
    setBadge('badge-stream', 'bad', `STREAM DOWN · retry in ${Math.round(delayMs / 1000)} s`, 'GET /v1/stream failed; the lists are polled meanwhile');
    await session.sleep(delayMs);
  }
}

/* ------------------------------------------------------------------------------------------------
 * A signed-in session: its token, its timers and its requests, all ended together by signing out.
 * --------------------------------------------------------------------------------------------- */

class Session {
  /** @param {string} token */
  constructor(token) {
    this.token = token;
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    /** @type {Array<ReturnType<typeof setInterval>>} */
    this.intervals = [];
    /** @type {Set<ReturnType<typeof setTimeout>>} */
    this.timeouts = new Set();
    /** Whether the stream is delivering events; while it is not, the lists are polled. */
    this.streamLive = false;
    /** Ends the current stream connection (the stream then reconnects); set while one is open. */
    this.dropStream = () => {};
    const panelRefresh = (/** @type {string} */ panel, /** @type {(session: Session) => Promise<void>} */ refresh) => {
      const run = serialised(() => guarded(this, panel, () => refresh(this)));
      return () => void run();
    };
    this.refreshCarriers = panelRefresh('balances', refreshNames);
    this.refreshLiveCalls = panelRefresh('live', refreshLiveCalls);
    this.refreshCdrs = panelRefresh('cdrs', refreshCdrs);
    this.refreshBalances = panelRefresh('balances', refreshBalances);
    this.refreshTrades = panelRefresh('market', refreshTrades);
    this.refreshCarriersSoon = this.coalesced(this.refreshCarriers, 1_000);
    this.refreshCdrsSoon = this.coalesced(this.refreshCdrs, CDR_REFRESH_WAIT_MS);
    this.refreshBalancesSoon = this.coalesced(this.refreshBalances, BALANCE_REFRESH_WAIT_MS);
    this.refreshTradesSoon = this.coalesced(this.refreshTrades, TRADE_REFRESH_WAIT_MS);
  }

  refreshAll() {
    this.refreshLiveCalls();
    this.refreshCdrs();
    this.refreshBalances();
    this.refreshTrades();
  }

  /**
   * The first request schedules one run after `waitMs`; requests until then ride along. Unlike a
   * debounce, a steady flow of events cannot postpone the refresh for ever.
   * @param {() => void} action
   * @param {number} waitMs
   */
  coalesced(action, waitMs) {
    let scheduled = false;
    return () => {
      if (scheduled) return;
      scheduled = true;
      this.after(waitMs, () => {
        scheduled = false;
        action();
      });
    };
  }

  /**
   * @param {number} delayMs
   * @param {() => void} action
   */
  after(delayMs, action) {
    if (this.signal.aborted) return;
    const timer = setTimeout(() => {
      this.timeouts.delete(timer);
      if (!this.signal.aborted) action();
    }, delayMs);
    this.timeouts.add(timer);
  }

  /**
   * @param {number} periodMs
   * @param {() => void} action
   */
  every(periodMs, action) {
    this.intervals.push(setInterval(action, periodMs));
  }

  /** @param {number} delayMs */
  sleep(delayMs) {
    return new Promise((resolve) => {
      const wake = () => {
        this.signal.removeEventListener('abort', wake);
        resolve(undefined);
      };
      this.signal.addEventListener('abort', wake, { once: true });
      this.after(delayMs, wake);
    });
  }

  end() {
    this.controller.abort();
    for (const interval of this.intervals) clearInterval(interval);
    for (const timeout of this.timeouts) clearTimeout(timeout);
    this.timeouts.clear();
  }
}

/** @param {Session} session */
async function startSession(session) {
  showDashboard();
  setBadge('badge-stream', 'idle', 'stream …');
  setBadge('badge-ledger', 'idle', 'ledger …');
  tick();
  void refreshHealth(session);
  session.every(HEALTH_POLL_MS, () => {
    void refreshHealth(session);
    if (!session.streamLive) session.refreshAll();
  });
  session.every(1_000, () => tick());
  session.every(CARRIERS_POLL_MS, session.refreshCarriers);
  session.every(RESYNC_POLL_MS, () => session.refreshAll());
  // Names first, so that the first rows already show carriers rather than ids. The stream's hello
  // then loads every list (and does again after each reconnection).
  await guarded(session, 'balances', () => refreshNames(session));
  if (session.signal.aborted) return;
  await followStream(session);
}

/** Once a second: the running durations and the clock. */
function tick() {
  const now = serverNow();
  for (const entry of state.liveRows.values()) tickLiveRow(entry, now);
  byId('clock').textContent = `${new Date(now).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/* ------------------------------------------------------------------------------------------------
 * Signing in and out.
 * --------------------------------------------------------------------------------------------- */

/**
 * Takes `#token=…` out of the address (so it is neither bookmarked nor shared by accident) and
 * keeps it for this tab.
 * @returns {string | null}
 */
function takeTokenFromAddress() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
  if (token) sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  return token;
}

/** @param {string} token */
function signIn(token) {
  state.session?.end();
  const session = new Session(token);
  state.session = session;
  startSession(session).catch((error) => console.error('the live page stopped', error));
}

/** @param {string} message */
function signOut(message) {
  state.session?.end();
  state.session = null;
  sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  state.liveRows.clear();
  state.seenCdrs.clear();
  state.seenTrades.clear();
  state.namesSignature = '';
  showSignIn(message);
}

function showDashboard() {
  byId('sign-in').hidden = true;
  byId('dashboard').hidden = false;
  byId('health-badges').hidden = false;
  byId('topbar-right').hidden = false;
}

/** @param {string} message */
function showSignIn(message) {
  byId('dashboard').hidden = true;
  byId('health-badges').hidden = true;
  byId('topbar-right').hidden = true;
  byId('sign-in').hidden = false;
  byId('sign-in-message').textContent = message;
  byId('token-input').focus();
}

function main() {
  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (byId('token-input'));
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
    signIn(token);
  });
  byId('sign-out').addEventListener('click', () => signOut('Signed out.'));
  const token = takeTokenFromAddress() ?? sessionStorage.getItem(TOKEN_STORAGE_KEY);
  if (token) signIn(token);
  else showSignIn('');
}

// A module script runs once the document is parsed, so the elements are there.
main();
