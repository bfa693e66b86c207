/**
 * What each of the financial services node's events does, once its signature has been checked:
 * - collection.payment_received: a buyer's payment against a statement (posted once);
 * - collection.payment_reversed: a confirmed payment that bounced (the ledger reverses it);
 * - payout.paid: a seller was paid (posted once);
 * - deposit.received / letter_of_credit.issued: collateral for a buyer;
 * - draw.honoured / draw.refused: the bank's answer to a draw on a letter of credit;
 * - pledge.funded / pledge.refused: the node's answer to a pledge for a seller's advance;
 * - anything else (a bounce before confirmation, a failed payout) moves no money: acknowledged.
 * A payload that cannot be placed is refused whole (4xx) and changes nothing.
 */
import { isCurrencyCode, parseDecimalToMicros } from '../../common/money.ts';
import type { AdvanceStore } from '../settlement/advance-store.ts';
import type { CollateralStore } from '../settlement/collateral-store.ts';
import type { PaymentStore } from '../settlement/payment-store.ts';

export interface FsnEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export type FsnEventResult =
  | { readonly status: 'applied'; readonly carrier_id: string; readonly statement_status?: string }
  | { readonly status: 'duplicate' | 'ignored' }
  | { readonly status: 'invalid'; readonly reason: string; readonly message: string }
  | { readonly status: 'refused'; readonly reason: string };

class Invalid extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

function text(data: Record<string, unknown>, name: string): string {
  const value = data[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new Invalid('invalid_event', `${name} must be a string of 1 to 200 characters`);
  return value;
}

function money(data: Record<string, unknown>): { amount_micros: bigint; currency: string } {
  const currency = text(data, 'currency');
  if (!isCurrencyCode(currency)) throw new Invalid('invalid_currency', 'unknown currency');
  let amount_micros: bigint;
  try {
    amount_micros = parseDecimalToMicros(text(data, 'amount'));
  } catch {
    throw new Invalid('invalid_amount', 'amount must be a decimal string');
  }
  if (amount_micros <= 0n) throw new Invalid('invalid_amount', 'amount must be positive');
  return { amount_micros, currency };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function applyFsnEvent(event: FsnEvent, payments: PaymentStore, collateral: CollateralStore, advances?: AdvanceStore): Promise<FsnEventResult> {
  try {
    const { data } = event;
    switch (event.type) {
      case 'collection.payment_received':
      case 'payout.paid': {
        const direction = event.type === 'payout.paid' ? 'paid_out' : 'collected';
        const payment_id = typeof data['payment_id'] === 'string' ? data['payment_id'] : undefined;
        const result = await payments.apply({ direction, event_id: event.id, event_type: event.type, statement_id: text(data, 'reference'), ...money(data), payment_id });
        if (result.outcome === 'applied') return { status: 'applied', carrier_id: result.carrier_id, statement_status: result.status };
        return result.outcome === 'duplicate' ? { status: 'duplicate' } : { status: 'refused', reason: result.reason };
      }
      case 'collection.payment_reversed': {
        const result = await payments.reverse({ event_id: event.id, payment_id: text(data, 'payment_id'), ...money(data) });
        if (result.outcome === 'applied') return { status: 'applied', carrier_id: result.carrier_id, statement_status: result.status };
        return result.outcome === 'duplicate' ? { status: 'duplicate' } : { status: 'refused', reason: result.reason };
      }
      case 'deposit.received':
      case 'letter_of_credit.issued': {
        const carrier_id = text(data, 'carrier_id');
        if (!UUID.test(carrier_id)) return { status: 'refused', reason: 'unknown_carrier' };
        const lc = event.type === 'letter_of_credit.issued';
        const expires = lc ? new Date(text(data, 'expires_at')) : null;
        if (expires !== null && Number.isNaN(expires.getTime())) throw new Invalid('invalid_event', 'expires_at must be an instant');
        const fsn_id = text(data, lc ? 'letter_of_credit_id' : 'deposit_id');
        return outcomeOf(await collateral.confirmed({ event_id: event.id, event_type: event.type, fsn_id, carrier_id, ...money(data), valid_until: expires }));
      }
      case 'draw.honoured': {
        const { amount_micros, currency } = money(data);
        return outcomeOf(await collateral.honoured(event.id, drawId(data), amount_micros, currency));
      }
      case 'draw.refused':
        return outcomeOf(await collateral.refused(drawId(data), typeof data['reason'] === 'string' ? data['reason'] : 'refused by the bank', { event_id: event.id, type: event.type }));
      case 'pledge.funded':
      case 'pledge.refused': {
        if (advances === undefined) return { status: 'ignored' };
        const advance_id = text(data, 'reference');
        const result = event.type === 'pledge.funded'
          ? await advances.funded({ event_id: event.id, event_type: event.type, advance_id, pledge_id: text(data, 'pledge_id'), ...money(data) })
          : await advances.refused({ event_id: event.id, event_type: event.type, advance_id, reason: typeof data['reason'] === 'string' ? data['reason'].slice(0, 200) : 'refused by the node' });
        if (result.outcome === 'applied') return { status: 'applied', carrier_id: result.carrier_id };
        return result.outcome === 'duplicate' ? { status: 'duplicate' } : { status: 'refused', reason: result.reason };
      }
      default:
        return { status: 'ignored' };
    }
  } catch (error) {
    if (error instanceof Invalid) return { status: 'invalid', reason: error.reason, message: error.message };
    throw error;
  }
}

/** minutex gives its draw id as the draw's reference at the node. */
function drawId(data: Record<string, unknown>): string {
  const reference = text(data, 'reference');
  if (!UUID.test(reference)) throw new Invalid('invalid_event', 'a draw reference is a draw id');
  return reference;
}

function outcomeOf(result: Awaited<ReturnType<CollateralStore['confirmed']>>): FsnEventResult {
  if (result.outcome === 'applied') return { status: 'applied', carrier_id: result.carrier_id };
  return result.outcome === 'duplicate' ? { status: 'duplicate' } : { status: 'refused', reason: result.reason };
}
