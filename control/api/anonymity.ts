/**
 * Counterparty aliases. Carriers trade anonymously: in a carrier's view of a trade, a CDR or a
 * live call, the other side appears as an alias made from the trade and the counterparty with a
 * server secret (HMAC-SHA-256), never as its id or name. The alias is the same every time for one
 * trade, so a carrier can follow that trade; it differs from trade to trade, so a carrier cannot
 * link two trades to one counterparty, and without the secret it cannot be reversed.
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
}
