/**
 * The sandbox's collateral: deposits a buyer wires in, letters of credit a bank issues for a
 * buyer, and draws on them.
 *
 * - `POST /v1/test/deposits` simulates a buyer's deposit arriving: `deposit.received`.
 * - `POST /v1/test/letters-of-credit` simulates a bank issuing a letter of credit (amount,
 *   currency, `expires_at`): `letter_of_credit.issued`. With `"test_draw_outcome": "refused"` its
 *   bank refuses every draw (test mode "draw refused").
 * - `POST /v1/letters-of-credit/{id}/draws` presents a draw (minutex's draw id as `reference`):
 *   refused at once (422) when the letter has expired or the amount exceeds what is left (less
 *   what draws presented still ask); otherwise `presented`, and after the bank's delay (the
 *   stand-in for a few business days) `draw.honoured`, which reduces what is left, or
 *   `draw.refused`.
 * - `GET /v1/letters-of-credit/{id}` shows the letter and what is left of it.
 */
import { randomUUID } from 'node:crypto';
import { formatMicros, isCurrencyCode, parseDecimalToMicros } from '../common/money.ts';
import { SandboxHttpError } from '../common/sandbox-http.ts';


export type Emit = (type: string, data: Record<string, string>, delay_ms: number) => { id: string };
export type Later = (ms: number, run: () => void) => void;
export type MoneyRoute = [RegExp, (match: RegExpExecArray, body: Record<string, unknown>) => [number, unknown]];

interface LetterOfCredit {
  id: string;
  carrier_id: string;
  currency: string;
  amount_micros: bigint;
  drawn_micros: bigint;
  presented_micros: bigint;
  expires_at: Date;
  refuse_draws: boolean;
}

export function positiveAmount(value: unknown, name = 'amount'): bigint {
  if (typeof value !== 'string') throw new SandboxHttpError(400, 'invalid_amount', `${name} must be a decimal string`);
  let micros: bigint;
  try {
    micros = parseDecimalToMicros(value);
  } catch {
    throw new SandboxHttpError(400, 'invalid_amount', `${name} must be a decimal string with at most 6 decimals`);
  }
  if (micros <= 0n) throw new SandboxHttpError(400, 'invalid_amount', `${name} must be positive`);
  return micros;
}

export function webhookDelay(body: Record<string, unknown>): number {
  return typeof body['webhook_delay_ms'] === 'number' ? Math.min(Math.max(0, body['webhook_delay_ms']), 60_000) : 0;
}

function currencyOf(body: Record<string, unknown>): string {
  const currency = body['currency'];
  if (typeof currency !== 'string' || !isCurrencyCode(currency)) throw new SandboxHttpError(400, 'invalid_currency', 'unknown currency');
  return currency;
}

function carrierOf(body: Record<string, unknown>): string {
  const carrier_id = body['carrier_id'];
  if (typeof carrier_id !== 'string' || carrier_id.length === 0 || carrier_id.length > 200) throw new SandboxHttpError(400, 'invalid_carrier', 'carrier_id must be 1 to 200 characters');
  return carrier_id;
}

export function collateralSandbox(emit: Emit, later: Later, drawDecisionMs: number): { routes: MoneyRoute[]; letter(id: string): unknown } {
  const letters = new Map<string, LetterOfCredit>();
  const view = (lc: LetterOfCredit) => ({
    id: lc.id, carrier_id: lc.carrier_id, currency: lc.currency, amount: formatMicros(lc.amount_micros, lc.currency),
    drawn: formatMicros(lc.drawn_micros, lc.currency), left: formatMicros(lc.amount_micros - lc.drawn_micros, lc.currency), expires_at: lc.expires_at.toISOString(),
  });

  const routes: MoneyRoute[] = [
    [/^\/v1\/test\/deposits$/, (_match, body) => {
      const currency = currencyOf(body);
      const amount_micros = positiveAmount(body['amount']);
      const deposit_id = `dep_${randomUUID()}`;
      const data = { deposit_id, carrier_id: carrierOf(body), amount: formatMicros(amount_micros, currency), currency };
      return [202, { ...data, event_id: emit('deposit.received', data, webhookDelay(body)).id }];
    }],
    [/^\/v1\/test\/letters-of-credit$/, (_match, body) => {
      const currency = currencyOf(body);
      const amount_micros = positiveAmount(body['amount']);
      const expires_at = new Date(typeof body['expires_at'] === 'string' ? body['expires_at'] : 'not a date');
      if (Number.isNaN(expires_at.getTime())) throw new SandboxHttpError(400, 'invalid_expiry', 'expires_at must be an instant (ISO 8601)');
      const lc: LetterOfCredit = {
        id: `lc_${randomUUID()}`, carrier_id: carrierOf(body), currency, amount_micros, drawn_micros: 0n, presented_micros: 0n, expires_at,
        refuse_draws: body['test_draw_outcome'] === 'refused',
      };
      letters.set(lc.id, lc);
      const data = { letter_of_credit_id: lc.id, carrier_id: lc.carrier_id, amount: formatMicros(amount_micros, currency), currency, expires_at: expires_at.toISOString() };
      return [202, { ...view(lc), event_id: emit('letter_of_credit.issued', data, webhookDelay(body)).id }];
    }],
    [/^\/v1\/letters-of-credit\/([\w-]+)\/draws$/, (match, body) => {
      const lc = letters.get(match[1]!);
      if (lc === undefined) throw new SandboxHttpError(404, 'not_found', 'unknown letter of credit');
      const reference = body['reference'];
      if (typeof reference !== 'string' || reference.length === 0 || reference.length > 200) throw new SandboxHttpError(400, 'invalid_reference', 'reference must be 1 to 200 characters');
      if (currencyOf(body) !== lc.currency) throw new SandboxHttpError(422, 'currency_mismatch', `the letter of credit is in ${lc.currency}`);
      const amount_micros = positiveAmount(body['amount']);
      if (lc.expires_at.getTime() <= Date.now()) throw new SandboxHttpError(422, 'letter_of_credit_expired', 'the letter of credit has expired: it cannot be drawn');
      if (amount_micros > lc.amount_micros - lc.drawn_micros - lc.presented_micros) throw new SandboxHttpError(422, 'exceeds_available', 'the draw exceeds what is left of the letter of credit');
      lc.presented_micros += amount_micros;
      const id = `drw_${randomUUID()}`;
      const data = { draw_id: id, letter_of_credit_id: lc.id, reference, amount: formatMicros(amount_micros, lc.currency), currency: lc.currency };
      // The bank looks at the documents for a while, then honours or refuses the draw.
      later(drawDecisionMs, () => {
        lc.presented_micros -= amount_micros;
        if (lc.refuse_draws) {
          emit('draw.refused', { ...data, reason: 'discrepant documents' }, 0);
          return;
        }
        lc.drawn_micros += amount_micros;
        emit('draw.honoured', data, 0);
      });
      return [201, { id, letter_of_credit_id: lc.id, reference, amount: data.amount, currency: lc.currency, status: 'presented' }];
    }],
  ];
  return {
    routes,
    letter(id: string) {
      const lc = letters.get(id);
      return lc === undefined ? undefined : view(lc);
    },
  };
}
