/**
 * Calls in progress: what the page knows is updated at once from each stream event; the table is
 * drawn at most once per animation frame, row by row in place (a row keeps its element for as long
 * as its call is on show), and holds one page of the newest calls: with a thousand calls in
 * progress the page stays as light as with a hundred, and the counts cover them all.
 */
/** @import { LiveCall, LiveCells, LiveRow } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { serverNow } from './clock.js';
import { byId, cell, element, showEmpty } from './dom.js';
import { formatDuration, formatTime } from './format.js';
import { drawNextFrame, placeRows, setClass, setText } from './frame.js';
import { carrierName, destinationName, state } from './state.js';

/** Calls that ended recently, remembered so that a snapshot taken before their end cannot revive them. */
const ENDED_CALLS_REMEMBERED = 2_000;
/** Rows on show at once: the newest calls first, the rest a page further on. */
export const LIVE_ROWS_SHOWN = 100;

/** Call-IDs in the order shown (newest setup first); rebuilt only when calls come or go. */
let order = /** @type {string[]} */ ([]);
let orderStale = false;
/** The first row on show, as an index into `order` (0: the newest calls). */
let firstShown = 0;
/** Calls answered now, kept as events arrive rather than counted at each draw. */
let answeredCount = 0;
/** Draws of the table so far: one per frame with changes, however many events the frame brought. */
let draws = 0;

/** @returns {number} how many times the table was drawn (the benchmark and the tests read it) */
export const liveDrawCount = () => draws;

/**
 * The cells of a row, made once; an update writes only the texts that changed.
 * @param {LiveCall} call
 * @returns {{ row: HTMLTableRowElement, cells: LiveCells }}
 */
function liveCallRow(call) {
  const cells = {
    setup: cell('', 'num time'),
    buyer: cell(''),
    number: cell('', 'mono'),
    destination: cell(''),
    seller: cell(''),
    state: element('span', { className: 'state' }, ['']),
    legs: cell('', 'num'),
    duration: element('td', { className: 'num timer' }, []),
  };
  const row = element('tr', {}, [cells.setup, cells.buyer, cells.number, cells.destination, cells.seller, element('td', {}, [cells.state]), cells.legs, cells.duration]);
  row.dataset['callId'] = call.call_id;
  return { row, cells };
}

/**
 * Writes what changed in a call into its row (names too: they may have arrived since).
 * @param {LiveRow} entry
 */
function drawLiveRow(entry) {
  const { call, cells } = entry;
  if (!cells) return;
  const answered = call.answer_at !== null;
  setText(cells.setup, formatTime(call.setup_at));
  setText(cells.buyer, carrierName(call.buyer_id));
  setText(cells.number, call.number);
  setText(cells.destination, destinationName(call.destination_id));
  setText(cells.seller, carrierName(call.seller_id));
  setClass(cells.seller, call.seller_id === null ? 'dim' : '');
  setText(cells.state, call.state);
  setClass(cells.state, `state state-${call.state}`);
  setText(cells.legs, String(call.legs_tried));
  setClass(cells.duration, answered ? 'num timer' : 'num timer dim');
  const title = answered ? 'since answer' : 'since setup, not answered yet';
  if (cells.duration.title !== title) cells.duration.title = title;
  if (entry.row && !entry.row.title) entry.row.title = `Call-ID ${call.call_id}`;
  entry.drawn = call;
  tickLiveRow(entry, serverNow());
}

/**
 * @param {LiveRow} entry
 * @param {number} nowMs
 */
function tickLiveRow(entry, nowMs) {
  const since = entry.call.answer_at ?? entry.call.setup_at;
  if (entry.cells) setText(entry.cells.duration, formatDuration(nowMs - Date.parse(since)));
}

/**
 * Advances the running durations on show to `nowMs` (a text write only where the second changed).
 * @param {number} nowMs
 */
export function tickLiveCalls(nowMs) {
  for (const entry of state.liveRows.values()) if (entry.row) tickLiveRow(entry, nowMs);
}

/** @param {LiveCall} a @param {LiveCall} b */
const newestFirst = (a, b) => b.setup_at.localeCompare(a.setup_at) || (a.call_id < b.call_id ? -1 : a.call_id > b.call_id ? 1 : 0);

/** @typedef {{ box: HTMLElement, text: HTMLElement, newer: HTMLButtonElement, older: HTMLButtonElement }} Pager */
/** @type {Pager | null} */
let pagerParts = null;

/**
 * The pager under the table, made on first use (the page's markup stays as it was).
 * @returns {Pager}
 */
function pager() {
  if (pagerParts) return pagerParts;
  const text = element('span', { className: 'live-pager-text' }, []);
  text.id = 'live-pager-text';
  const newer = element('button', { className: 'quiet-button', title: 'the newer calls' }, ['‹ newer']);
  newer.type = 'button';
  newer.id = 'live-newer';
  const older = element('button', { className: 'quiet-button', title: 'the older calls' }, ['older ›']);
  older.type = 'button';
  older.id = 'live-older';
  const box = element('div', { className: 'live-pager' }, [newer, text, older]);
  box.id = 'live-pager';
  box.hidden = true;
  newer.addEventListener('click', () => movePage(-1));
  older.addEventListener('click', () => movePage(1));
  byId('panel-live').append(box);
  pagerParts = { box, text, newer, older };
  return pagerParts;
}

/** @param {number} pages */
function movePage(pages) {
  firstShown = Math.max(0, firstShown + pages * LIVE_ROWS_SHOWN);
  drawNextFrame('live-calls', drawLiveCalls);
}

/** One draw of the table: the page of calls on show, each row in place, then the counts. */
function drawLiveCalls() {
  draws += 1;
  // A list cleared by signing out is noticed by its size.
  if (orderStale || order.length !== state.liveRows.size) {
    order = [...state.liveRows.values()].map((entry) => entry.call).sort(newestFirst).map((call) => call.call_id);
    orderStale = false;
  }
  const total = order.length;
  if (firstShown >= total) firstShown = Math.max(0, Math.floor((total - 1) / LIVE_ROWS_SHOWN) * LIVE_ROWS_SHOWN);
  const shown = order.slice(firstShown, firstShown + LIVE_ROWS_SHOWN);
  const shownSet = new Set(shown);
  // Rows of calls that left the page are dropped: the DOM holds one page, whatever the total.
  for (const entry of state.liveRows.values()) {
    if (entry.row && !shownSet.has(entry.call.call_id)) {
      entry.row = null;
      entry.cells = null;
    }
  }
  /** @type {HTMLTableRowElement[]} */
  const rows = [];
  for (const callId of shown) {
    const entry = state.liveRows.get(callId);
    if (!entry) continue;
    if (!entry.row) {
      const made = liveCallRow(entry.call);
      entry.row = made.row;
      entry.cells = made.cells;
      entry.drawn = null;
    }
    if (entry.drawn !== entry.call) drawLiveRow(entry);
    rows.push(entry.row);
  }
  const tbody = byId('live-rows');
  placeRows(tbody, rows);
  setText(byId('live-summary'), `${total} in progress · ${answeredCount} answered`);
  if (total === 0) showEmpty(tbody, 8, 'No calls in progress.');
  const parts = pager();
  parts.box.hidden = total <= LIVE_ROWS_SHOWN;
  setText(parts.text, total === 0 ? '' : `showing ${firstShown + 1}–${firstShown + shown.length} of ${total}, newest first`);
  parts.newer.disabled = firstShown === 0;
  parts.older.disabled = firstShown + LIVE_ROWS_SHOWN >= total;
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
 * Takes a call's new state into what the page knows; the table follows at the next frame.
 * @param {LiveCall} call
 */
function learnCall(call) {
  const existing = state.liveRows.get(call.call_id);
  if (existing && existing.call.answer_at !== null) answeredCount -= 1;
  if (call.state === 'ended') {
    rememberEnded(call.call_id);
    if (existing) {
      state.liveRows.delete(call.call_id);
      orderStale = true;
    }
    return;
  }
  if (state.endedCalls.has(call.call_id)) return;
  if (call.answer_at !== null) answeredCount += 1;
  if (existing) {
    if (existing.call.setup_at !== call.setup_at) orderStale = true;
    existing.call = call;
  } else {
    state.liveRows.set(call.call_id, { call, row: null, cells: null, drawn: null });
    orderStale = true;
  }
}

/**
 * Applies one `call` event: a new call goes on top, a changed one is redrawn where it is, an ended
 * one leaves. Many events in one frame make one draw.
 * @param {LiveCall} call
 */
export function applyCallEvent(call) {
  learnCall(call);
  drawNextFrame('live-calls', drawLiveCalls);
}

/**
 * Takes a full list of the calls in progress: calls still there keep their rows.
 * @param {LiveCall[]} calls
 */
function replaceLiveCalls(calls) {
  const current = /** @type {Map<string, LiveRow>} */ (new Map());
  answeredCount = 0;
  for (const call of calls) {
    if (call.state === 'ended' || state.endedCalls.has(call.call_id)) continue;
    const entry = state.liveRows.get(call.call_id) ?? { call, row: null, cells: null, drawn: null };
    entry.call = call;
    if (call.answer_at !== null) answeredCount += 1;
    current.set(call.call_id, entry);
  }
  state.liveRows = current;
  orderStale = true;
  drawNextFrame('live-calls', drawLiveCalls);
}

/** Draws every row on show again (carriers' or destinations' names changed). */
export function renderAllLiveCalls() {
  for (const entry of state.liveRows.values()) entry.drawn = null;
  drawNextFrame('live-calls', drawLiveCalls);
}

/** @param {Session} session */
export async function refreshLiveCalls(session) {
  const body = /** @type {{ calls: LiveCall[] }} */ (await api(session, '/v1/calls/live'));
  replaceLiveCalls(body.calls);
}
