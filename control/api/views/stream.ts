/**
 * What the live stream sends to whom. An operator gets every call, CDR and market event as it is.
 * A carrier gets its own calls, CDRs, orders and trades (the other side as an alias), and the
 * anonymous market: every trade's destination, price, channels and time, and a note that a book
 * changed, with no identities.
 */
import { formatMicros } from '../../../common/money.ts';
import type { CallUpdate } from '../../calls/call-tracker.ts';
import type { MarketEvent } from '../../exchange/market-events.ts';
import type { CounterpartyAliases } from '../anonymity.ts';
import type { Principal } from '../auth.ts';
import { carrierLiveCallJson, liveCallJson } from './live-calls.ts';

export interface StreamFrame {
  readonly event: 'call' | 'cdr' | 'market' | 'order' | 'trade';
  readonly data: unknown;
}

export function callFrames(update: CallUpdate, principal: Principal, aliases: CounterpartyAliases): StreamFrame[] {
  if (update.kind === 'call_over') return [];
  if (update.kind !== 'cdr_written') {
    const call = principal.kind === 'operator' ? liveCallJson(update.call) : carrierLiveCallJson(update.call, principal.carrier_id, aliases);
    return call === null ? [] : [{ event: 'call', data: call }];
  }
  const cdr = update.cdr;
  const summary = { call_id: cdr.call_id, final_sip_code: cdr.final_sip_code, duration_ms: cdr.duration_ms };
  if (principal.kind === 'operator') return [{ event: 'cdr', data: { ...summary, buyer_id: cdr.buyer_id, seller_id: cdr.seller_id } }];
  const me = principal.carrier_id;
  const alias = (counterparty_id: string | null) => (cdr.trade_id === null || counterparty_id === null ? null : aliases.alias(cdr.trade_id, counterparty_id));
  if (cdr.buyer_id === me) return [{ event: 'cdr', data: { ...summary, buyer_id: me, seller_id: alias(cdr.seller_id) } }];
  if (cdr.seller_id === me) return [{ event: 'cdr', data: { ...summary, call_id: aliases.legId(cdr.call_id), buyer_id: alias(cdr.buyer_id), seller_id: me } }];
  return [];
}

export function marketFrames(event: MarketEvent, principal: Principal, aliases: CounterpartyAliases): StreamFrame[] {
  if (principal.kind === 'operator') return [{ event: 'market', data: event }];
  const me = principal.carrier_id;
  switch (event.kind) {
    case 'trade_made': {
      const price_per_minute = formatMicros(event.price_per_minute_micros, event.currency);
      const market = { kind: 'trade', destination_id: event.destination_id, currency: event.currency, price_per_minute, channels: event.channels, at: event.at };
      const frames: StreamFrame[] = [{ event: 'market', data: market }];
      const side = event.buyer_id === me ? 'buy' : event.seller_id === me ? 'sell' : null;
      if (side !== null) {
        frames.push({
          event: 'trade',
          data: {
            kind: 'trade_made', trade_id: event.trade_id, side, order_id: side === 'buy' ? event.buy_order_id : event.sell_order_id,
            counterparty: aliases.alias(event.trade_id, side === 'buy' ? event.seller_id : event.buyer_id),
            destination_id: event.destination_id, currency: event.currency, price_per_minute, channels: event.channels, at: event.at,
          },
        });
      }
      return frames;
    }
    case 'order_changed':
      return event.carrier_id === me
        ? [{ event: 'order', data: { order_id: event.order_id, destination_id: event.destination_id, status: event.status, channels_open: event.channels_open } }]
        : [{ event: 'market', data: { kind: 'book_changed', destination_id: event.destination_id } }];
    case 'trade_ended': {
      const side = event.buyer_id === me ? 'buy' : event.seller_id === me ? 'sell' : null;
      if (side === null) return [];
      const counterparty = aliases.alias(event.trade_id, side === 'buy' ? event.seller_id : event.buyer_id);
      return [{ event: 'trade', data: { kind: 'trade_ended', trade_id: event.trade_id, side, counterparty, destination_id: event.destination_id } }];
    }
  }
}
