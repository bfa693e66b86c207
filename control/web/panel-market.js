/**
 * Market: the last trades, each one that arrived since the previous refresh marked fresh.
 */
/** @import { Trade } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { byId, cell, element, moneyCell, showEmpty } from './dom.js';
import { formatTime } from './format.js';
import { carrierName, destinationName, state } from './state.js';

const TRADE_LIMIT = 20;

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
export async function refreshTrades(session) {
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
