/**
 * Calls in progress: updated row by row from the stream, re-read in full now and then.
 */
/** @import { LiveCall, LiveRow } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { serverNow } from './clock.js';
import { byId, cell, element, showEmpty } from './dom.js';
import { formatDuration, formatTime } from './format.js';
import { carrierName, destinationName, state } from './state.js';

/** Calls that ended recently, remembered so that a snapshot taken before their end cannot revive them. */
const ENDED_CALLS_REMEMBERED = 2_000;

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

/**
 * Advances every running duration to `nowMs`.
 * @param {number} nowMs
 */
export function tickLiveCalls(nowMs) {
  for (const entry of state.liveRows.values()) tickLiveRow(entry, nowMs);
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
export function applyCallEvent(call) {
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

export function renderAllLiveCalls() {
  replaceLiveCalls([...state.liveRows.values()].map((entry) => entry.call));
}

/** @param {Session} session */
export async function refreshLiveCalls(session) {
  const body = /** @type {{ calls: LiveCall[] }} */ (await api(session, '/v1/calls/live'));
  replaceLiveCalls(body.calls);
}
