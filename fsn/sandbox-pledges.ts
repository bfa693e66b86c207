/**
 * The sandbox's receivable financing: minutex pledges buyers' statements for a seller's advance.
 *
 * - `POST /v1/pledges` (reference: minutex's advance id; amount: what the node lends; fee; payee
 *   and payee_amount: the seller and what it is paid, the advance less the fee; receivables: the
 *   pledged buyer statements, each with what it is worth and what is lent on it). After the
 *   lender's delay: `pledge.funded` (the node lent the amount and paid the seller), or
 *   `pledge.refused` in test mode "pledge refused".
 * - Repayment: a buyer's payment on a pledged statement (`POST /v1/test/collections/{id}/pay`)
 *   goes to the node first, up to what is still lent on that statement, pledges in the order they
 *   were funded, until each is repaid (`sweep`). minutex applies the same rule to its books.
 * - `POST /v1/test/pledge-behaviour` `{"outcome": "refused" | "funded"}` sets how the pretend
 *   lender answers the pledges that follow.
 * - `GET /v1/pledges/{id}` shows a pledge: amount, repaid, outstanding, status.
 */
import { randomUUID } from 'node:crypto';
import { formatMicros, isCurrencyCode } from '../common/money.ts';
import { SandboxHttpError } from '../common/sandbox-http.ts';
import { positiveAmount, type Emit, type Later, type MoneyRoute } from './sandbox-collateral.ts';

interface PledgedReceivable {
  reference: string;
  advanced_micros: bigint;
  repaid_micros: bigint;
}

interface Pledge {
  id: string;
  reference: string;
  currency: string;
  amount_micros: bigint;
  status: 'pending' | 'funded' | 'repaid' | 'refused';
  receivables: PledgedReceivable[];
}

/** How long the pretend lender takes to decide, in ms. */
const PLEDGE_DECISION_MS = 200;

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new SandboxHttpError(400, `invalid_${name}`, `${name} must be 1 to 200 characters`);
  return value;
}

function amountOrZero(value: unknown, name: string): bigint {
  return value === '0' || value === '0.000000' ? 0n : positiveAmount(value, name);
}

export function pledgeSandbox(emit: Emit, later: Later): { routes: MoneyRoute[]; pledge(id: string): unknown; sweep(reference: string, amount_micros: bigint): void } {
  const pledges: Pledge[] = [];
  let refuse = false;
  const view = (pledge: Pledge) => {
    const repaid = pledge.receivables.reduce((sum, one) => sum + one.repaid_micros, 0n);
    return {
      id: pledge.id, reference: pledge.reference, currency: pledge.currency, status: pledge.status,
      amount: formatMicros(pledge.amount_micros, pledge.currency), repaid: formatMicros(repaid, pledge.currency),
      outstanding: formatMicros(pledge.status === 'refused' ? 0n : pledge.amount_micros - repaid, pledge.currency),
    };
  };

  const routes: MoneyRoute[] = [
    [/^\/v1\/pledges$/, (_match, body) => {
      const currency = text(body, 'currency');
      if (!isCurrencyCode(currency)) throw new SandboxHttpError(400, 'invalid_currency', 'unknown currency');
      const reference = text(body, 'reference');
      const payee = text(body, 'payee');
      const amount_micros = positiveAmount(body['amount']);
      const fee_micros = amountOrZero(body['fee'], 'fee');
      const payee_micros = positiveAmount(body['payee_amount'], 'payee_amount');
      if (payee_micros + fee_micros !== amount_micros) throw new SandboxHttpError(422, 'amounts_disagree', 'payee_amount + fee must equal amount');
      const list = body['receivables'];
      if (!Array.isArray(list) || list.length === 0 || list.length > 1000) throw new SandboxHttpError(400, 'invalid_receivables', 'receivables must be a list of 1 to 1000');
      const receivables = list.map((one: unknown) => {
        if (typeof one !== 'object' || one === null) throw new SandboxHttpError(400, 'invalid_receivables', 'each receivable is an object');
        const item = one as Record<string, unknown>;
        const advanced_micros = positiveAmount(item['advanced'], 'advanced');
        if (advanced_micros > positiveAmount(item['pledged'], 'pledged')) throw new SandboxHttpError(422, 'advance_exceeds_pledge', 'a receivable is lent at most what it is worth');
        return { reference: text(item, 'reference'), advanced_micros, repaid_micros: 0n };
      });
      if (receivables.reduce((sum, one) => sum + one.advanced_micros, 0n) !== amount_micros) throw new SandboxHttpError(422, 'amounts_disagree', 'the receivables\' advances must add up to amount');
      const pledge: Pledge = { id: `plg_${randomUUID()}`, reference, currency, amount_micros, status: 'pending', receivables };
      pledges.push(pledge);
      const refused = refuse;
      later(PLEDGE_DECISION_MS, () => {
        const data = { pledge_id: pledge.id, reference, amount: formatMicros(amount_micros, currency), currency, payee, payee_amount: formatMicros(payee_micros, currency), fee: formatMicros(fee_micros, currency) };
        if (refused) {
          pledge.status = 'refused';
          emit('pledge.refused', { ...data, reason: 'the lender declined the receivables' }, 0);
          return;
        }
        pledge.status = 'funded';
        emit('pledge.funded', data, 0);
      });
      return [201, view(pledge)];
    }],
    [/^\/v1\/test\/pledge-behaviour$/, (_match, body) => {
      if (body['outcome'] !== 'refused' && body['outcome'] !== 'funded') throw new SandboxHttpError(400, 'invalid_outcome', 'outcome is refused or funded');
      refuse = body['outcome'] === 'refused';
      return [200, { outcome: body['outcome'] }];
    }],
  ];

  return {
    routes,
    pledge(id: string) {
      const found = pledges.find((pledge) => pledge.id === id);
      return found === undefined ? undefined : view(found);
    },
    sweep(reference: string, amount_micros: bigint) {
      let left = amount_micros;
      for (const pledge of pledges) {
        if (pledge.status !== 'funded') continue;
        for (const receivable of pledge.receivables) {
          if (left <= 0n) return;
          if (receivable.reference !== reference) continue;
          const take = receivable.advanced_micros - receivable.repaid_micros < left ? receivable.advanced_micros - receivable.repaid_micros : left;
          receivable.repaid_micros += take;
          left -= take;
        }
        if (pledge.receivables.every((one) => one.repaid_micros === one.advanced_micros)) pledge.status = 'repaid';
      }
    },
  };
}
