/**
 * Carriers' balances and the trial balance (the ledger badge and the footer under the balances).
 */
/** @import { Balance, Carrier, TrialBalance } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { byId, cell, element, moneyCell, setBadge, showEmpty } from './dom.js';
import { describe } from './format.js';
import { drawNextFrame, placeRows, setClass, setMoney, setText } from './frame.js';
import { state } from './state.js';

/** Account kinds in the order a NOC reads them; any other kind follows in alphabetical order. */
const ACCOUNT_ORDER = ['receivable', 'payable', 'cash', 'deposit', 'letter_of_credit'];

/** @param {string[]} kinds */
function orderAccountKinds(kinds) {
  const known = ACCOUNT_ORDER.filter((kind) => kinds.includes(kind) || kind === 'receivable' || kind === 'payable');
  const others = kinds.filter((kind) => !ACCOUNT_ORDER.includes(kind)).sort();
  return [...known, ...others];
}

/** @typedef {{ row: HTMLTableRowElement, name: HTMLTableCellElement, status: HTMLSpanElement, amounts: HTMLTableCellElement[] }} BalanceRow */

/** Rows on show by carrier and currency, kept from one refresh to the next and updated in place. */
const balanceRows = /** @type {Map<string, BalanceRow>} */ (new Map());
/** The account kinds the head and every row were made for: a new kind makes them again. */
let shownKinds = '';

/**
 * @param {number} columns
 * @returns {BalanceRow}
 */
function makeBalanceRow(columns) {
  const name = cell('');
  const status = element('span', { className: 'state' }, []);
  const currency = cell('', 'currency dim');
  const amounts = Array.from({ length: columns }, () => /** @type {HTMLTableCellElement} */ (moneyCell(null)));
  const row = element('tr', {}, [name, element('td', {}, [status]), currency, ...amounts]);
  return { row, name, status, amounts };
}

/**
 * Draws the balances: one row per carrier and currency, each kept by its key and written in place
 * (200 carriers' rows are not made again at every refresh).
 * @param {Array<{ carrier: Carrier, balances: Balance[] }>} perCarrier
 */
function renderBalances(perCarrier) {
  const kinds = orderAccountKinds([...new Set(perCarrier.flatMap((entry) => entry.balances.map((balance) => balance.account)))]);
  if (kinds.join() !== shownKinds) {
    shownKinds = kinds.join();
    balanceRows.clear();
    byId('balances-head').replaceChildren(
      element('tr', {}, [
        element('th', {}, ['Carrier']),
        element('th', { className: 'status-column' }, ['Status']),
        element('th', { className: 'currency-column', title: 'currency' }, ['Cur.']),
        ...kinds.map((kind) => element('th', { className: 'num amount-column' }, [kind.replaceAll('_', ' ')])),
      ]),
    );
  }
  /** @type {HTMLTableRowElement[]} */
  const rows = [];
  const shown = new Set();
  for (const { carrier, balances } of perCarrier) {
    const currencies = [...new Set(balances.map((balance) => balance.currency.trim()))].sort();
    for (const currency of currencies.length === 0 ? [null] : currencies) {
      const key = `${carrier.id} ${currency ?? ''}`;
      shown.add(key);
      let entry = balanceRows.get(key);
      if (!entry) {
        entry = makeBalanceRow(kinds.length);
        /** @type {HTMLElement} */ (entry.row.children[2]).textContent = currency ?? '';
        balanceRows.set(key, entry);
      }
      setText(entry.name, carrier.name);
      if (entry.name.title !== (carrier.name.length > 14 ? carrier.name : '')) entry.name.title = carrier.name.length > 14 ? carrier.name : '';
      setText(entry.status, carrier.status);
      setClass(entry.status, `state carrier-${carrier.status}`);
      kinds.forEach((kind, index) => {
        const balance = balances.find((candidate) => candidate.account === kind && candidate.currency.trim() === currency);
        setMoney(/** @type {HTMLTableCellElement} */ (entry.amounts[index]), balance ? balance.balance : null);
      });
      rows.push(entry.row);
    }
  }
  for (const key of [...balanceRows.keys()]) if (!shown.has(key)) balanceRows.delete(key);
  const tbody = byId('balances-rows');
  if (rows.length === 0) showEmpty(tbody, 3 + kinds.length, 'No carriers yet.');
  else placeRows(tbody, rows);
  setText(byId('balances-summary'), `${perCarrier.length} carriers`);
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

/** @param {Session} session */
export async function refreshBalances(session) {
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
  drawNextFrame('balances', () => {
    renderBalances(perCarrier);
    showTrialBalance(trial);
  });
}
