/**
 * Counterparty aliases. Carriers trade anonymously: in a carrier's view of a trade, a CDR or a
 * live call, the other side appears as an alias made from the trade and the counterparty with a
 * server secret (HMAC-SHA-256), never as its id or name. The alias is the same every time for one
 * trade, so a carrier can follow that trade; it differs from trade to trade, so a carrier cannot
 * link two trades to one counterparty, and without the secret it cannot be reversed.
 *
 * A call is known to its buyer by the buyer's own Call-ID. Its seller never sees that Call-ID (it
 * often names the buyer's host); in the seller's views the call is the exchange's leg id, made the
 * same way from the Call-ID.
 */
import { createHmac } from 'node:crypto';

/** 16 bytes of the HMAC: enough that two aliases never collide in practice. */
const ALIAS_BYTES = 16;

export class CounterpartyAliases {
  constructor(private readonly secret: Buffer) {}

  alias(trade_id: string, counterparty_id: string): string {
    const mac = createHmac('sha256', this.secret).update(`${trade_id}\n${counterparty_id}`).digest();
    return `cp_${mac.subarray(0, ALIAS_BYTES).toString('base64url')}`;
  }

  /** The exchange's id of a call's seller leg: stable for one call, unrelated to the buyer's Call-ID. */
  legId(call_id: string): string {
    const mac = createHmac('sha256', this.secret).update(`leg\n${call_id}`).digest();
    return `leg_${mac.subarray(0, ALIAS_BYTES).toString('base64url')}`;
  }
}

/** The number as the seller received it: the buyer's tech prefix is the buyer's business. */
export function sellerNumberForm(dialled_number: string, buyer_tech_prefix: string | null): string {
  return buyer_tech_prefix !== null && buyer_tech_prefix !== '' && dialled_number.startsWith(buyer_tech_prefix)
    ? dialled_number.slice(buyer_tech_prefix.length)
    : dialled_number;
}
