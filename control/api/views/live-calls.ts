/**
 * Calls in progress as the API shows them. An operator sees every call; a carrier sees the calls
 * it is buying (the seller as an alias of the trade) and the calls on a leg of its own as seller
 * (the buyer as an alias). The buyer knows the call by its Call-ID and the number it dialled; the
 * seller by the exchange's leg id and the number it received.
 */
import type { LiveCall } from '../../core/cdr.ts';
import type { CounterpartyAliases } from '../anonymity.ts';

const iso = (us: bigint | null) => (us === null ? null : new Date(Number(us / 1000n)).toISOString());

function common(call: LiveCall) {
  return {
    call_id: call.call_id,
    number: call.number,
    destination_id: call.destination_id,
    state: call.state,
    setup_at: iso(call.setup_us),
    answer_at: iso(call.answer_us),
  };
}

export function liveCallJson(call: LiveCall) {
  const answered = call.answered_leg === null ? undefined : call.legs[call.answered_leg];
  return {
    ...common(call),
    buyer_id: call.buyer_id,
    seller_id: answered?.leg.trade.seller_id ?? null,
    legs_tried: call.legs.filter((leg) => leg.sip_code !== null).length,
  };
}

/** The carrier's view of a call, or null when the call is none of its business. */
export function carrierLiveCallJson(call: LiveCall, carrier_id: string, aliases: CounterpartyAliases) {
  const answered = call.answered_leg === null ? undefined : call.legs[call.answered_leg];
  if (call.buyer_id === carrier_id) {
    const trade = answered?.leg.trade;
    return {
      ...common(call), number: call.dialled_number, buyer_id: carrier_id, seller_id: trade ? aliases.alias(trade.id, trade.seller_id) : null,
      trade_id: trade?.id ?? null, legs_tried: call.legs.filter((leg) => leg.sip_code !== null).length,
    };
  }
  const current = call.legs[call.current_leg]?.leg.trade;
  if (current?.seller_id !== carrier_id) return null;
  return { ...common(call), call_id: aliases.legId(call.call_id), buyer_id: aliases.alias(current.id, call.buyer_id), seller_id: carrier_id, trade_id: current.id };
}
