/**
 * Carriers' balances and the trial balance (the ledger badge and the footer under the balances).
 */
/** @import { Balance, Carrier, TrialBalance } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { byId, cell, element, moneyCell, setBadge, showEmpty } from './dom.js';
import { describe } from './format.js';
import { state } from './state.js';

/** Account kinds in the order a NOC reads them; any other kind follows in alphabetical order. */
const ACCOUNT_ORDER = ['receivable', 'payable', 'cash', 'deposit', 'letter_of_credit'];

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
  renderBalances(perCarrier);
  showTrialBalance(trial);
}
