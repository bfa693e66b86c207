/**
 * minutex's client of the financial services node (MINUTEX_FSN_URL): every request that moves
 * money carries an Idempotency-Key derived from what it is for, so a retry after a timeout can
 * never ask for the same money twice.
 */
import { formatMicros } from '../../common/money.ts';

/** How long one request to the node may take. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface Collection {
  readonly id: string;
  readonly reference: string;
  readonly amount: string;
  readonly currency: string;
  readonly status: string;
}

export interface Payout {
  readonly id: string;
  readonly reference: string;
  readonly amount: string;
  readonly currency: string;
  readonly status: string;
}

export interface Draw {
  readonly id: string;
  readonly letter_of_credit_id: string;
  readonly reference: string;
  readonly amount: string;
  readonly currency: string;
  /** presented, then honoured or refused (reported by webhook). */
  readonly status: string;
}

export interface Pledge {
  readonly id: string;
  readonly reference: string;
  readonly amount: string;
  readonly currency: string;
  /** pending, then funded or refused (reported by webhook), then repaid. */
  readonly status: string;
}

/** One buyer statement pledged behind an advance: what it is worth and what the node lends on it. */
export interface PledgedReceivable {
  readonly buyer_statement_id: string;
  readonly pledged_micros: bigint;
  readonly advanced_micros: bigint;
}

/** The node answered with an error, or could not be reached. */
export class FsnError extends Error {
  override name = 'FsnError';
  constructor(readonly status: number | null, readonly reason: string, message: string) {
    super(message);
  }
}

export class FsnClient {
  constructor(private readonly baseUrl: string) {}

  /** Asks the node to collect a buyer's payment against a statement (the statement id is the reference). */
  createCollection(statement_id: string, amount_micros: bigint, currency: string): Promise<Collection> {
    return this.post<Collection>('/v1/collections', `collect:${statement_id}:${amount_micros}`, {
      reference: statement_id, amount: formatMicros(amount_micros, currency), currency,
    });
  }

  /** Asks the node to pay a seller what a statement owes it (confirmed later by a webhook). */
  createPayout(statement_id: string, amount_micros: bigint, currency: string): Promise<Payout> {
    return this.post<Payout>('/v1/payouts', `payout:${statement_id}:${amount_micros}`, {
      reference: statement_id, amount: formatMicros(amount_micros, currency), currency,
    });
  }

  /**
   * Presents a draw on a letter of credit the node holds for a buyer (the draw id is the
   * reference); the bank's answer comes later as `draw.honoured` or `draw.refused`.
   */
  presentDraw(letter_of_credit_id: string, draw_id: string, amount_micros: bigint, currency: string): Promise<Draw> {
    return this.post<Draw>(`/v1/letters-of-credit/${encodeURIComponent(letter_of_credit_id)}/draws`, `draw:${draw_id}`, {
      reference: draw_id, amount: formatMicros(amount_micros, currency), currency,
    });
  }

  /**
   * Pledges buyers' receivables to the node for a seller's advance (the advance id is the
   * reference): the node lends the advance, pays the seller the advance less the fee on the
   * exchange's behalf, and is repaid from the buyers' payments on the pledged statements. Its
   * answer comes later as `pledge.funded` or `pledge.refused`.
   */
  createPledge(pledge: { advance_id: string; seller_id: string; currency: string; advance_micros: bigint; fee_micros: bigint; receivables: readonly PledgedReceivable[] }): Promise<Pledge> {
    const money = (micros: bigint) => formatMicros(micros, pledge.currency);
    return this.post<Pledge>('/v1/pledges', `pledge:${pledge.advance_id}`, {
      reference: pledge.advance_id, payee: pledge.seller_id, currency: pledge.currency,
      amount: money(pledge.advance_micros), fee: money(pledge.fee_micros), payee_amount: money(pledge.advance_micros - pledge.fee_micros),
      receivables: pledge.receivables.map((receivable) => ({
        reference: receivable.buyer_statement_id, pledged: money(receivable.pledged_micros), advanced: money(receivable.advanced_micros),
      })),
    });
  }

  private async post<T>(path: string, idempotencyKey: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      });
    } catch (error) {
      throw new FsnError(null, 'fsn_unreachable', `the financial services node could not be reached: ${(error as Error).message}`);
    }
    const text = await response.text();
    const parsed = (text === '' ? {} : JSON.parse(text)) as { error?: string; message?: string };
    if (!response.ok) throw new FsnError(response.status, parsed.error ?? 'fsn_error', parsed.message ?? `the node answered ${response.status}`);
    return parsed as T;
  }
}
