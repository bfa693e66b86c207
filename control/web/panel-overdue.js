/**
 * Past due: the carriers the overdue policy has put in a state (notice, blocked, collateral drawn,
 * as the exchange's policy names them), with what is past due, and the latest notices sent.
 */
/** @import { Session } from './session.js' */
import { api, guarded } from './api.js';
import { byId, cell, element, showEmpty } from './dom.js';
import { formatTime } from './format.js';
import { state } from './state.js';

/**
 * @typedef {{ carrier_id: string, state: string | null, blocked: boolean, days_past_due: number, past_due: Record<string, string>, since: string | null }} Standing
 * @typedef {{ id: string, carrier_id: string, state: string | null, delivery: string, created_at: string }} Notice
 */

/** @param {string} id */
const nameOf = (id) => state.carriers.get(id)?.name ?? id;

/** @param {Session} session */
export function refreshOverdue(session) {
  return guarded(session, 'overdue', async () => {
    const [standings, notices] = await Promise.all([
      /** @type {Promise<{ carriers: Standing[] }>} */ (api(session, '/v1/overdue')),
      /** @type {Promise<{ notices: Notice[] }>} */ (api(session, '/v1/overdue/notices?limit=5')),
    ]);
    const rows = standings.carriers.map((one) => element('tr', {}, [
      cell(nameOf(one.carrier_id)),
      element('td', {}, [element('span', { className: `state ${one.blocked ? 'carrier-suspended' : 'carrier-active'}` }, [one.state ?? 'good'])]),
      cell(String(one.days_past_due), 'num'),
      cell(Object.entries(one.past_due).map(([currency, amount]) => `${currency} ${amount}`).join(', '), 'num'),
      cell(one.blocked ? 'blocked' : 'buying', one.blocked ? 'ledger-bad' : 'dim'),
    ]));
    const tbody = byId('overdue-rows');
    if (rows.length === 0) showEmpty(tbody, 5, 'Nobody is past due.');
    else tbody.replaceChildren(...rows);
    byId('overdue-summary').textContent = `${standings.carriers.length} past due, ${standings.carriers.filter((one) => one.blocked).length} blocked`;
    byId('overdue-notices').replaceChildren(...notices.notices.map((notice) =>
      element('li', {}, [`${formatTime(notice.created_at)} ${nameOf(notice.carrier_id)} → ${notice.state ?? 'good standing'} (webhook: ${notice.delivery})`])));
  });
}
