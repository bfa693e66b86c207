/**
 * Market: the last trades, each one that arrived since the previous refresh marked fresh; rows are
 * kept by trade and written in place.
 */
/** @import { Trade } from './types.js' */
/** @import { Session } from './session.js' */
/** @import { KeyedRow } from './frame.js' */
import { api } from './api.js';
import { byId, cell, element, moneyCell, showEmpty } from './dom.js';
import { formatTime } from './format.js';
import { drawKeyedRows, drawNextFrame, setClass, setMoney, setText } from './frame.js';
import { carrierName, destinationName, state } from './state.js';

const TRADE_LIMIT = 20;

/** Rows kept from one refresh to the next by trade: a trade's row changes only with its status. */
const tradeRows = /** @type {Map<string, KeyedRow<{ trade: Trade, fresh: boolean }>>} */ (new Map());

/** @returns {KeyedRow<{ trade: Trade, fresh: boolean }>} */
function tradeRow() {
  const texts = [cell('', 'num time'), cell(''), cell(''), cell('')];
  const price = moneyCell(null);
  const increments = cell('', 'num');
  const channels = cell('', 'num');
  const status = element('span', { className: 'state' }, []);
  const row = element('tr', {}, [...texts, price, increments, channels, element('td', {}, [status])]);
  return {
    row,
    update: ({ trade, fresh }) => {
      setClass(row, fresh ? 'fresh' : '');
      if (!row.title) row.title = `trade ${trade.id}`;
      [formatTime(trade.created_at), carrierName(trade.buyer_id), carrierName(trade.seller_id), destinationName(trade.destination_id)].forEach((text, index) => {
        const td = /** @type {HTMLTableCellElement} */ (texts[index]);
        setText(td, text);
        const title = text.length > 14 ? text : '';
        if (td.title !== title) td.title = title;
      });
      setMoney(price, trade.price_per_minute, 'price');
      setText(increments, trade.increments);
      setText(channels, String(trade.channels));
      setText(status, trade.status);
      setClass(status, `state trade-${trade.status}`);
    },
  };
}

/** @param {Session} session */
export async function refreshTrades(session) {
  const body = /** @type {{ trades: Trade[] }} */ (await api(session, `/v1/trades?limit=${TRADE_LIMIT}`));
  const firstLoad = state.seenTrades.size === 0;
  const shown = body.trades.map((trade) => ({ trade, fresh: !firstLoad && !state.seenTrades.has(trade.id) }));
  state.seenTrades = new Set(body.trades.map((trade) => trade.id));
  drawNextFrame('trades', () => {
    const tbody = byId('trade-rows');
    if (shown.length === 0) {
      tradeRows.clear();
      showEmpty(tbody, 8, 'No trades yet.');
    } else {
      drawKeyedRows(tbody, tradeRows, shown, ({ trade }) => trade.id, tradeRow);
    }
    const currency = body.trades[0]?.currency;
    setText(byId('market-summary'), body.trades.length === 0 ? '' : `last ${body.trades.length} trades${currency ? ` · prices in ${currency}` : ''}`);
  });
}
