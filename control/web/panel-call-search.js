/**
 * The call search panel: finds calls by number, Call-ID or carrier name (live calls and recent
 * CDRs) and shows what happened and why; an answered call in progress can be hung up, after a
 * confirmation (the API checks the operator's role and audits it). Values reach the page through
 * text nodes only.
 */
/* global fetch, window */
import { api } from './api.js';
import { byId, cell, element, showEmpty } from './dom.js';
import { carrierName, state } from './state.js';

/** @typedef {{ call_id: string, source: string, state: string, number: string, buyer_id: string | null, setup_at: string, legs: Array<{ seller_id: string, sip_code: number | null }>, final_sip_code: number | null, final_reason: string | null, ended_by: string | null, setup: { admitted: boolean, refusal_reason: string | null }, cut_off_reason: string | null }} CallStory */

/** @param {CallStory} call */
function why(call) {
  if (!call.setup.admitted) return `refused at setup: ${call.setup.refusal_reason ?? ''}`;
  if (call.cut_off_reason !== null) return `cut off: ${call.cut_off_reason}`;
  if (call.final_reason !== null) return `${call.final_reason} (ended by ${call.ended_by ?? '?'})`;
  return 'in progress';
}

/** @param {CallStory} call */
function row(call) {
  const legs = call.legs.map((leg) => `${carrierName(leg.seller_id)} ${leg.sip_code ?? '…'}`).join(', ') || '—';
  const action = element('td');
  if (call.source === 'live' && call.state === 'answered') {
    const button = element('button', { className: 'hangup' }, ['Hang up']);
    button.addEventListener('click', () => void hangUp(call.call_id));
    action.append(button);
  }
  const tr = element('tr', {}, [
    cell(new Date(call.setup_at).toLocaleTimeString()), cell(call.buyer_id === null ? '—' : carrierName(call.buyer_id)), cell(call.number),
    cell(call.call_id), cell(legs), cell(call.final_sip_code === null ? call.state : String(call.final_sip_code)), cell(why(call)), action,
  ]);
  tr.dataset['callId'] = call.call_id;
  return tr;
}

async function search() {
  const session = state.session;
  const query = /** @type {HTMLInputElement} */ (byId('call-search-q')).value.trim();
  const tbody = byId('call-search-rows');
  if (!session || query === '') return;
  try {
    /** @type {{ calls: CallStory[] }} */
    const { calls } = await api(session, `/v1/noc/calls/search?q=${encodeURIComponent(query)}`);
    if (calls.length === 0) showEmpty(/** @type {HTMLTableSectionElement} */ (tbody), 8, 'no call found');
    else tbody.replaceChildren(...calls.map(row));
  } catch (error) {
    window.alert(String(error));
  }
}

/** @param {string} call_id */
async function hangUp(call_id) {
  const session = state.session;
  if (!session || !window.confirm(`Hang up call ${call_id}? Both sides get a BYE.`)) return;
  const response = await fetch(`/v1/calls/${encodeURIComponent(call_id)}/hangup`, { method: 'POST', headers: { authorization: `Bearer ${session.token}` } });
  if (!response.ok) window.alert(`hang-up refused: ${response.status} ${await response.text()}`);
  await search();
}

byId('call-search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void search();
});
