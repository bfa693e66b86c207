/**
 * Seller advances, in PostgreSQL. A seller asks to be paid early part of what the exchange owes it
 * on its issued, unpaid statements; the plan (billing/core/financing.ts) attributes that to the
 * buyers whose calls it sold and advances each part at the buyer's grade. The exchange obtains the
 * money by pledging those buyers' statements to the financial services node:
 *
 * 1. `prepare`: the plan is recorded (`requested`), nothing posted; the caller asks the node.
 * 2. `pending` / `failed`: the node took the request, or could not be asked (nothing posted).
 * 3. `funded` (webhook `pledge.funded`): in one transaction, the node's money (cash against the
 *    exchange's financing liability), the advance paid to the seller (its payable down by the
 *    advance, cash down by the advance less the fee, the fee as financing income), and the
 *    advance counted as paid on the seller's statements, so that their later payout is only what
 *    is left. `pledge.refused` marks it refused: nothing posted, the statements free again.
 * 4. `repayFromPayment`: a buyer's payment on a pledged statement repays the node first (called
 *    inside the payment's own transaction), until every line is repaid (`repaid`).
 */
import { randomUUID } from 'node:crypto';
import type { ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { audit } from '../../control/store/audit.ts';
import { lockCreditAccountRow, refreshCachedBalances } from '../../control/credit/credit-account-lock.ts';
import {
  advanceFundingTransaction, advancePayoutTransaction, planAdvance, pledgeRepaymentTransaction, repaymentSplit,
  type AdvanceLine, type AdvancePlan, type FinancingGrade, type SoldGroup,
} from '../core/financing.ts';
import { effectiveBalance } from '../core/notes.ts';
import { nextStatementState, paymentTrigger, type StatementState } from '../core/statement-lifecycle.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { latestFinancing } from './deferral-store.ts';

export type AdvanceStatus = 'requested' | 'pending' | 'funded' | 'repaid' | 'refused' | 'failed';

/** A planned line (billing/core/financing.ts) as stored: numbered, with what the buyers' payments have repaid of it. */
export interface StoredAdvanceLine extends AdvanceLine {
  readonly line_no: number;
  readonly repaid_micros: bigint;
}

export interface StoredAdvance {
  readonly id: string;
  readonly carrier_id: string;
  readonly currency: string;
  readonly status: AdvanceStatus;
  readonly requested_micros: bigint | null;
  readonly advance_micros: bigint;
  readonly fee_micros: bigint;
  readonly repaid_micros: bigint;
  readonly fsn_pledge_id: string | null;
  readonly refusal_reason: string | null;
  readonly requested_by: string;
  readonly created_at: Date;
  readonly funded_at: Date | null;
  readonly lines: readonly StoredAdvanceLine[];
}

export type PrepareOutcome =
  | { readonly outcome: 'prepared'; readonly advance: StoredAdvance }
  | { readonly outcome: 'refused'; readonly reason: 'advance_pending' | 'nothing_to_advance' | 'amount_exceeds_available'; readonly available_micros?: bigint; readonly pending_id?: string };

export type WebhookOutcome =
  | { readonly outcome: 'applied'; readonly carrier_id: string }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'refused'; readonly reason: string };

/** Advances that hold their statements: waiting for the node, or funded and not yet repaid. */
const ACTIVE = `('requested', 'pending', 'funded')`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Refused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

interface OpenStatement {
  id: string;
  status: StatementState;
  balance_micros: bigint;
  paid_micros: bigint;
  credited_micros: bigint;
  debited_micros: bigint;
  sold_micros: bigint;
}

export class AdvanceStore {
  constructor(private readonly db: Db, private readonly ledger: LedgerStore) {}

  /** What the terms allow the seller now in a currency, line by line (nothing is recorded). */
  async plan(t: ITask<object>, seller_id: string, currency: string, requested_micros: bigint | null): Promise<AdvancePlan> {
    // The seller's open statements on which the exchange owes it, not already advanced.
    const statements = await t.any<OpenStatement>(
      `select id, status, balance_micros, paid_micros, credited_micros, debited_micros, sold_micros from statements s
       where carrier_id = $1 and currency = $2 and status in ('issued', 'partially_paid')
         and not exists (select 1 from advance_lines l join advances a on a.id = l.advance_id where l.seller_statement_id = s.id and a.status <> 'refused' and a.status <> 'failed')
       order by due_date, number for update`,
      [seller_id, currency]);
    const owed = statements
      .map((statement) => ({ id: statement.id, payable_micros: -effectiveBalance(statement) - statement.paid_micros, sold_micros: statement.sold_micros }))
      .filter((statement) => statement.payable_micros > 0n);
    if (owed.length === 0) return planAdvance({ statements: [], groups: [], buyer_receivable_micros: new Map(), buyer_terms: new Map(), requested_micros });
    const order = new Map(owed.map((statement, index) => [statement.id, index]));
    // The calls each statement sold, by buyer and by the buyer statement that billed them.
    const groups = (await t.any<SoldGroup & { buyer_number: bigint }>(
      `select c.seller_statement_id, c.buyer_id, c.buyer_statement_id, sum(c.seller_amount_micros) as sold_micros, b.number as buyer_number
       from cdrs c join statements b on b.id = c.buyer_statement_id
       where c.seller_statement_id in ($1:csv) and c.billing_status = 'rated'
       group by 1, 2, 3, 5`,
      [owed.map((statement) => statement.id)]))
      .sort((left, right) => (order.get(left.seller_statement_id)! - order.get(right.seller_statement_id)!) || (left.buyer_number < right.buyer_number ? -1 : left.buyer_number > right.buyer_number ? 1 : 0));
    const buyerStatements = [...new Set(groups.map((group) => group.buyer_statement_id))];
    // What each buyer statement still owes (open, not past due), less what advances in force pledged of it and were not repaid.
    const receivable = buyerStatements.length === 0 ? [] : await t.any<{ id: string; left_micros: bigint }>(
      `select s.id, s.balance_micros - s.credited_micros + s.debited_micros - s.paid_micros
                - coalesce((select sum(l.attributable_micros - l.repaid_micros) from advance_lines l join advances a on a.id = l.advance_id
                            where l.buyer_statement_id = s.id and a.status in ${ACTIVE}), 0) as left_micros
       from statements s where s.id in ($1:csv) and s.status in ('issued', 'partially_paid') order by s.id for update`,
      [buyerStatements]);
    const buyer_terms = new Map<string, FinancingGrade>();
    for (const buyer_id of new Set(groups.map((group) => group.buyer_id))) {
      const terms = await latestFinancing(t, buyer_id);
      if (terms !== null) buyer_terms.set(buyer_id, terms);
    }
    return planAdvance({
      statements: owed, groups, buyer_terms, requested_micros,
      buyer_receivable_micros: new Map(receivable.map((row) => [row.id, row.left_micros])),
    });
  }

  /** Records the plan as a requested advance (nothing posted), or refuses with a reason. */
  async prepare(request: { seller_id: string; currency: string; requested_micros: bigint | null; actor: string }): Promise<PrepareOutcome> {
    try {
      return await this.db.tx('advance-prepare', async (t) => {
        await lockCreditAccountRow(t, request.seller_id, request.currency);
        const open = await t.oneOrNone<{ id: string }>(`select id from advances where carrier_id = $1 and currency = $2 and status in ('requested', 'pending')`, [request.seller_id, request.currency]);
        // A retry while the node decides finds the advance it asked for.
        if (open !== null) return { outcome: 'refused', reason: 'advance_pending', pending_id: open.id } as const;
        const most = await this.plan(t, request.seller_id, request.currency, null);
        if (most.advance_micros <= 0n) throw new Refused('nothing_to_advance');
        if (request.requested_micros !== null && request.requested_micros > most.advance_micros) {
          return { outcome: 'refused', reason: 'amount_exceeds_available', available_micros: most.advance_micros } as const;
        }
        const plan = request.requested_micros === null ? most : await this.plan(t, request.seller_id, request.currency, request.requested_micros);
        const id = randomUUID();
        await t.none(
          `insert into advances (id, carrier_id, currency, status, requested_micros, advance_micros, fee_micros, requested_by)
           values ($1, $2, $3, 'requested', $4, $5, $6, $7)`,
          [id, request.seller_id, request.currency, request.requested_micros?.toString() ?? null, plan.advance_micros.toString(), plan.fee_micros.toString(), request.actor]);
        for (const [index, line] of plan.lines.entries()) {
          await t.none(
            `insert into advance_lines (advance_id, line_no, seller_statement_id, buyer_id, buyer_statement_id, grade, advance_rate_percent, advance_fee_bps,
               attributable_micros, advance_micros, fee_micros)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
            [id, index + 1, line.seller_statement_id, line.buyer_id, line.buyer_statement_id, line.grade, line.advance_rate_percent, line.advance_fee_bps,
              line.attributable_micros.toString(), line.advance_micros.toString(), line.fee_micros.toString()]);
        }
        await audit(t, request.actor, 'advance.request', `advance:${id}`, {
          carrier_id: request.seller_id, currency: request.currency, advance_micros: plan.advance_micros.toString(), fee_micros: plan.fee_micros.toString(), lines: plan.lines.length,
        });
        return { outcome: 'prepared', advance: (await this.advance(id, t))! } as const;
      });
    } catch (error) {
      if (error instanceof Refused) return { outcome: 'refused', reason: error.reason as 'advance_pending' | 'nothing_to_advance' };
      throw error;
    }
  }

  /** The node took the pledge: waiting for its decision. */
  async markPending(id: string, fsn_pledge_id: string): Promise<void> {
    await this.db.none(`update advances set status = 'pending', fsn_pledge_id = $2 where id = $1 and status = 'requested'`, [id, fsn_pledge_id]);
  }

  /** The node refused the request at once, or could not be reached: nothing was posted. */
  async markFailed(id: string, reason: string, actor: string): Promise<void> {
    await this.db.tx('advance-failed', async (t) => {
      await t.none(`update advances set status = 'failed', refusal_reason = $2 where id = $1 and status = 'requested'`, [id, reason]);
      await audit(t, actor, 'advance.failed', `advance:${id}`, { reason });
    });
  }

  /** `pledge.funded`: the node paid; the advance is posted and paid to the seller, once. */
  async funded(event: { event_id: string; event_type: string; advance_id: string; pledge_id: string; amount_micros: bigint; currency: string }): Promise<WebhookOutcome> {
    try {
      return await this.db.tx('advance-funded', async (t) => {
        const fresh = await t.oneOrNone<{ event_id: string }>('insert into fsn_events (event_id, type) values ($1, $2) on conflict do nothing returning event_id', [event.event_id, event.event_type]);
        if (fresh === null) return { outcome: 'duplicate' } as const;
        if (!UUID.test(event.advance_id)) throw new Refused('unknown_advance');
        const owner = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, trim(currency) as currency from advances where id = $1', [event.advance_id]);
        if (owner === null) throw new Refused('unknown_advance');
        await lockCreditAccountRow(t, owner.carrier_id, owner.currency);
        const advance = await t.one<{ status: AdvanceStatus; advance_micros: bigint; fee_micros: bigint }>('select status, advance_micros, fee_micros from advances where id = $1 for update', [event.advance_id]);
        // A node that answered late after minutex gave up (failed) still moved the money: it is posted.
        if (!['requested', 'pending', 'failed'].includes(advance.status)) throw new Refused('advance_not_pending');
        if (owner.currency !== event.currency) throw new Refused('currency_mismatch');
        if (advance.advance_micros !== event.amount_micros) throw new Refused('amount_mismatch');
        const perStatement = await t.any<{ seller_statement_id: string; advance_micros: bigint }>(
          'select seller_statement_id, sum(advance_micros) as advance_micros from advance_lines where advance_id = $1 group by 1 order by 1', [event.advance_id]);
        for (const part of perStatement) {
          const statement = await t.one<OpenStatement>(
            'select id, status, balance_micros, paid_micros, credited_micros, debited_micros, sold_micros from statements where id = $1 for update', [part.seller_statement_id]);
          // The advance counts as paid out on the seller's statement, as a payout of the same amount would.
          const owed_micros = -effectiveBalance(statement);
          const paid_micros = statement.paid_micros + part.advance_micros;
          const status = nextStatementState(statement.status, paymentTrigger(owed_micros, paid_micros));
          if (status === undefined || paid_micros > owed_micros) throw new Refused('statement_not_open');
          await t.none('update statements set paid_micros = $1, status = $2 where id = $3', [paid_micros.toString(), status, statement.id]);
        }
        const [funding, payout] = await this.ledger.postMany([
          advanceFundingTransaction(event.advance_id, owner.currency, advance.advance_micros),
          advancePayoutTransaction(event.advance_id, owner.carrier_id, owner.currency, advance.advance_micros, advance.fee_micros),
        ], t);
        await t.none('update fsn_events set amount_micros = $2, currency = $3, ledger_transaction_id = $4 where event_id = $1',
          [event.event_id, advance.advance_micros.toString(), owner.currency, funding!.transaction_id.toString()]);
        await t.none(
          `update advances set status = 'funded', fsn_pledge_id = $2, funding_event_id = $3, funding_transaction_id = $4, payout_transaction_id = $5, funded_at = now()
           where id = $1`,
          [event.advance_id, event.pledge_id, event.event_id, funding!.transaction_id.toString(), payout!.transaction_id.toString()]);
        await refreshCachedBalances(t, [owner.carrier_id]);
        await audit(t, 'fsn', 'advance.funded', `advance:${event.advance_id}`, {
          event_id: event.event_id, carrier_id: owner.carrier_id, advance_micros: advance.advance_micros.toString(), fee_micros: advance.fee_micros.toString(),
        });
        return { outcome: 'applied', carrier_id: owner.carrier_id } as const;
      });
    } catch (error) {
      if (error instanceof Refused) return { outcome: 'refused', reason: error.reason };
      throw error;
    }
  }

  /** `pledge.refused`: the node will not fund it; nothing was posted, the statements are free again. */
  async refused(event: { event_id: string; event_type: string; advance_id: string; reason: string }): Promise<WebhookOutcome> {
    try {
      return await this.db.tx('advance-refused', async (t) => {
        const fresh = await t.oneOrNone<{ event_id: string }>('insert into fsn_events (event_id, type) values ($1, $2) on conflict do nothing returning event_id', [event.event_id, event.event_type]);
        if (fresh === null) return { outcome: 'duplicate' } as const;
        if (!UUID.test(event.advance_id)) throw new Refused('unknown_advance');
        const advance = await t.oneOrNone<{ carrier_id: string; status: AdvanceStatus }>('select carrier_id, status from advances where id = $1 for update', [event.advance_id]);
        if (advance === null) throw new Refused('unknown_advance');
        if (!['requested', 'pending', 'failed'].includes(advance.status)) throw new Refused('advance_not_pending');
        await t.none(`update advances set status = 'refused', refusal_reason = $2 where id = $1`, [event.advance_id, event.reason]);
        await audit(t, 'fsn', 'advance.refused', `advance:${event.advance_id}`, { event_id: event.event_id, reason: event.reason });
        return { outcome: 'applied', carrier_id: advance.carrier_id } as const;
      });
    } catch (error) {
      if (error instanceof Refused) return { outcome: 'refused', reason: error.reason };
      throw error;
    }
  }

  async advance(id: string, t: Pick<Db, 'oneOrNone' | 'any'> = this.db): Promise<StoredAdvance | null> {
    if (!UUID.test(id)) return null;
    const row = await t.oneOrNone<Omit<StoredAdvance, 'lines'>>(`${SELECT} where id = $1`, [id]);
    return row === null ? null : { ...row, lines: await this.lines(t, id) };
  }

  /** Newest first; only this carrier's when `carrier_id` is given. */
  async list(filter: { carrier_id: string | null; limit: number }): Promise<StoredAdvance[]> {
    const rows = await this.db.any<Omit<StoredAdvance, 'lines'>>(`${SELECT} where ($1::uuid is null or carrier_id = $1) order by created_at desc, id limit $2`, [filter.carrier_id, filter.limit]);
    return Promise.all(rows.map(async (row) => ({ ...row, lines: await this.lines(this.db, row.id) })));
  }

  /** What the seller's advances in force still hold back of a statement's payout. */
  async heldOnStatement(statement_id: string): Promise<bigint> {
    const row = await this.db.one<{ held: bigint | null }>(
      `select sum(l.advance_micros) as held from advance_lines l join advances a on a.id = l.advance_id where l.seller_statement_id = $1 and a.status in ('requested', 'pending')`,
      [statement_id]);
    return row.held ?? 0n;
  }

  private lines(t: Pick<Db, 'any'>, id: string): Promise<StoredAdvanceLine[]> {
    return t.any<StoredAdvanceLine>(
      `select line_no, seller_statement_id, buyer_id, buyer_statement_id, trim(grade) as grade, advance_rate_percent, advance_fee_bps, attributable_micros,
         advance_micros, fee_micros, repaid_micros from advance_lines where advance_id = $1 order by line_no`, [id]);
  }
}

const SELECT = `select id, carrier_id, trim(currency) as currency, status, requested_micros, advance_micros, fee_micros, repaid_micros, fsn_pledge_id,
  refusal_reason, requested_by, created_at, funded_at from advances`;

/**
 * A buyer's payment on a statement, inside the payment's own transaction: the pledges funded on
 * that statement are repaid first, in the order they were made, up to what each still owes the
 * node; the repayment is posted (the exchange's debt to the node and its cash down) under the
 * payment's event id, so it happens once with the payment.
 */
export async function repayFromPayment(t: ITask<object>, ledger: LedgerStore, payment: { event_id: string; statement_id: string; currency: string; amount_micros: bigint }): Promise<bigint> {
  const lines = await t.any<{ advance_id: string; line_no: number; owed_micros: bigint }>(
    `select l.advance_id, l.line_no, l.advance_micros - l.repaid_micros as owed_micros
     from advance_lines l join advances a on a.id = l.advance_id
     where l.buyer_statement_id = $1 and a.status = 'funded' and l.repaid_micros < l.advance_micros
     order by a.funded_at, a.id, l.line_no for update of l`,
    [payment.statement_id]);
  const split = repaymentSplit(payment.amount_micros, lines.map((line) => ({ id: `${line.advance_id}/${line.line_no}`, owed_micros: line.owed_micros })));
  const total = split.reduce((sum, part) => sum + part.repaid_micros, 0n);
  if (total === 0n) return 0n;
  const [posted] = await ledger.postMany([pledgeRepaymentTransaction(payment.event_id, payment.currency, total)], t);
  for (const part of split) {
    const [advance_id, line_no] = part.id.split('/') as [string, string];
    await t.none('update advance_lines set repaid_micros = repaid_micros + $3 where advance_id = $1 and line_no = $2', [advance_id, Number(line_no), part.repaid_micros.toString()]);
    await t.none('insert into advance_repayments (event_id, advance_id, line_no, repaid_micros, ledger_transaction_id) values ($1, $2, $3, $4, $5)',
      [payment.event_id, advance_id, Number(line_no), part.repaid_micros.toString(), posted!.transaction_id.toString()]);
    await t.none(
      `update advances set repaid_micros = repaid_micros + $2, status = case when repaid_micros + $2 = advance_micros then 'repaid' else status end where id = $1`,
      [advance_id, part.repaid_micros.toString()]);
  }
  return total;
}
