/**
 * Last CDRs, with the answer-seizure ratio and the average call duration over them.
 */
/** @import { Cdr } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { byId, cell, element, moneyCell, showEmpty } from './dom.js';
import { formatDuration, formatTime, sipClass } from './format.js';
import { carrierName, state } from './state.js';

const CDR_LIMIT = 50;

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
export async function refreshCdrs(session) {
  const body = /** @type {{ cdrs: Cdr[] }} */ (await api(session, `/v1/cdrs?limit=${CDR_LIMIT}`));
  const firstLoad = state.seenCdrs.size === 0;
  const rows = body.cdrs.map((cdr) => cdrRow(cdr, !firstLoad && !state.seenCdrs.has(cdr.call_id)));
  state.seenCdrs = new Set(body.cdrs.map((cdr) => cdr.call_id));
  const tbody = byId('cdr-rows');
  if (rows.length === 0) showEmpty(tbody, 14, 'No CDRs yet.');
  else tbody.replaceChildren(...rows);
  byId('cdrs-summary').textContent = cdrSummary(body.cdrs);
}
