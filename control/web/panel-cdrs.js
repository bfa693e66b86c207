/**
 * Last CDRs, with the answer-seizure ratio and the average call duration over them. Each refresh
 * writes its rows in place by Call-ID (a row changes only as its CDR is rated and posted).
 */
/** @import { Cdr } from './types.js' */
/** @import { Session } from './session.js' */
/** @import { KeyedRow } from './frame.js' */
import { api } from './api.js';
import { byId, cell, element, moneyCell, showEmpty } from './dom.js';
import { formatDuration, formatTime, sipClass } from './format.js';
import { drawKeyedRows, drawNextFrame, setClass, setMoney, setText } from './frame.js';
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

/** Rows kept from one refresh to the next by Call-ID: a CDR's row changes only as it is rated and posted. */
const cdrRows = /** @type {Map<string, KeyedRow<{ cdr: Cdr, fresh: boolean }>>} */ (new Map());

/** @returns {KeyedRow<{ cdr: Cdr, fresh: boolean }>} */
function cdrRow() {
  const texts = Array.from({ length: 9 }, () => cell(''));
  const money = [moneyCell(null), moneyCell(null), moneyCell(null)];
  const currency = cell('', 'currency dim');
  const ledgerCell = cell('');
  const row = element('tr', {}, [...texts, ...money, currency, ledgerCell]);
  return {
    row,
    update: ({ cdr, fresh }) => {
      const ledger = ledgerFlag(cdr);
      setClass(row, fresh ? 'fresh' : '');
      if (!row.title) row.title = `Call-ID ${cdr.call_id}`;
      /** @type {Array<[string, string, string?]>} */
      const values = [
        [formatTime(cdr.end_at), 'num time'],
        [carrierName(cdr.buyer_id), ''],
        [carrierName(cdr.seller_id), cdr.seller_id === null ? 'dim' : ''],
        [cdr.dialled_number, 'mono'],
        [cdr.destination ?? '—', cdr.destination === null ? 'dim' : ''],
        [String(cdr.final_sip_code), `num sip ${sipClass(cdr.final_sip_code)}`],
        [cdr.final_reason, 'reason', `${cdr.final_reason} (ended by ${cdr.ended_by})`],
        [formatDuration(cdr.duration_ms), 'num'],
        [cdr.billed_s === null ? '—' : String(cdr.billed_s), cdr.billed_s === null ? 'num dim' : 'num'],
      ];
      values.forEach(([text, className, title], index) => {
        const td = /** @type {HTMLTableCellElement} */ (texts[index]);
        setText(td, text);
        setClass(td, className);
        const shownTitle = title ?? (text.length > 14 ? text : '');
        if (td.title !== shownTitle) td.title = shownTitle;
      });
      setMoney(money[0], cdr.buyer_amount);
      setMoney(money[1], cdr.seller_amount);
      setMoney(money[2], cdr.fee_amount);
      setText(currency, cdr.currency ?? '');
      setText(ledgerCell, ledger[0]);
      setClass(ledgerCell, ledger[1]);
      if (ledgerCell.title !== ledger[2]) ledgerCell.title = ledger[2];
    },
  };
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
  const shown = body.cdrs.map((cdr) => ({ cdr, fresh: !firstLoad && !state.seenCdrs.has(cdr.call_id) }));
  state.seenCdrs = new Set(body.cdrs.map((cdr) => cdr.call_id));
  drawNextFrame('cdrs', () => {
    const tbody = byId('cdr-rows');
    if (shown.length === 0) {
      cdrRows.clear();
      showEmpty(tbody, 14, 'No CDRs yet.');
    } else {
      drawKeyedRows(tbody, cdrRows, shown, ({ cdr }) => cdr.call_id, cdrRow);
    }
    setText(byId('cdrs-summary'), cdrSummary(body.cdrs));
  });
}
