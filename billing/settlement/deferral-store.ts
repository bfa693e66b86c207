/**
 * Buyer deferrals, in PostgreSQL: a buyer asks to pay an issued statement it owes later, within
 * what its latest credit assessment's financing terms allow (billing/core/financing.ts). In one
 * transaction the statement's due date moves (the overdue policy and the credit watch read it
 * there), the interest is posted (the buyer's receivable against the exchange's financing income)
 * and issued to the buyer as a debit note on the statement, and the deferral is audited. Asking
 * again for the same days answers the deferral already granted; anything refused changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import { formatMicros } from '../../common/money.ts';
import { audit } from '../../control/store/audit.ts';
import { lockCreditAccountRow, refreshCachedBalances } from '../../control/credit/credit-account-lock.ts';
import { addDays, deferralInterestMicros, deferralInterestTransaction, deferralRefusal, type DeferralRefusal, type FinancingGrade } from '../core/financing.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { issueNote } from './note-store.ts';
import { lockStatement, outstandingMicros, SettleRefused } from './statement-settling.ts';

export interface StoredDeferral {
  readonly id: string;
  readonly statement_id: string;
  readonly statement_number: bigint;
  readonly carrier_id: string;
  readonly currency: string;
  readonly days: number;
  readonly grade: string;
  readonly rate_bps_per_year: number;
  readonly allowed_days: number;
  readonly amount_due_micros: bigint;
  readonly interest_micros: bigint;
  readonly due_date_before: string;
  readonly due_date_after: string;
  readonly debit_note_id: string | null;
  readonly debit_note_number: bigint | null;
  readonly requested_by: string;
  readonly created_at: Date;
}

export type DeferralOutcome =
  | { readonly outcome: 'granted' | 'existing'; readonly deferral: StoredDeferral }
  | { readonly outcome: 'refused'; readonly reason: DeferralRefusal | 'unknown_statement'; readonly allowed_days?: number };

export interface DeferralRequestInput {
  readonly statement_id: string;
  /** The carrier the caller is limited to (its own key); null for an operator. */
  readonly carrier_scope: string | null;
  readonly days: number;
  readonly actor: string;
}

const SELECT = `select d.id, d.statement_id, s.number as statement_number, d.carrier_id, trim(d.currency) as currency, d.days, trim(d.grade) as grade,
  d.rate_bps_per_year, d.allowed_days, d.amount_due_micros, d.interest_micros, d.due_date_before::text as due_date_before,
  d.due_date_after::text as due_date_after, n.id as debit_note_id, n.number as debit_note_number, d.requested_by, d.created_at
  from deferrals d join statements s on s.id = d.statement_id left join notes n on n.deferral_id = d.id`;

/** The financing terms of a carrier's latest assessment, or null when it was never assessed. */
export async function latestFinancing(t: Pick<Db, 'oneOrNone'>, carrier_id: string): Promise<(FinancingGrade & { assessment_id: string }) | null> {
  const row = await t.oneOrNone<{ id: string; grade: string; decision: FinancingGrade['decision']; financing: Record<string, number> | null }>(
    `select id, trim(grade) as grade, decision, terms->'financing' as financing from credit_assessments where carrier_id = $1 order by created_at desc limit 1`,
    [carrier_id]);
  if (row === null) return null;
  const number = (name: string) => (typeof row.financing?.[name] === 'number' ? row.financing[name] : 0);
  return {
    assessment_id: row.id, grade: row.grade, decision: row.decision, deferral_days: number('deferral_days'),
    deferral_rate_bps_per_year: number('deferral_rate_bps_per_year'), advance_rate_percent: number('advance_rate_percent'), advance_fee_bps: number('advance_fee_bps'),
  };
}

class Refused extends Error {
  constructor(readonly reason: DeferralRefusal | 'unknown_statement', readonly allowed_days?: number) {
    super(reason);
  }
}

export class DeferralStore {
  constructor(private readonly db: Db, private readonly ledger: LedgerStore) {}

  async defer(request: DeferralRequestInput): Promise<DeferralOutcome> {
    try {
      return await this.db.tx('deferral', async (t) => {
        const owner = await t.oneOrNone<{ carrier_id: string; currency: string }>(
          `select carrier_id, trim(currency) as currency from statements where id = $1 and status <> 'draft'`, [request.statement_id]);
        // Another carrier's statement is answered as if it did not exist.
        if (owner === null || (request.carrier_scope !== null && request.carrier_scope !== owner.carrier_id)) throw new Refused('unknown_statement');
        // The credit account first, then the statement: the order every settlement takes them in.
        await lockCreditAccountRow(t, owner.carrier_id, owner.currency);
        const statement = await lockStatement(t, request.statement_id);
        const existing = await t.oneOrNone<StoredDeferral>(`${SELECT} where d.statement_id = $1`, [statement.id]);
        if (existing !== null) {
          if (existing.days === request.days) return { outcome: 'existing', deferral: existing } as const;
          throw new Refused('already_deferred');
        }
        const details = await t.one<{ due_date: string; today: string }>(
          `select due_date::text as due_date, (now() at time zone time_zone)::date::text as today from statements where id = $1`, [statement.id]);
        const terms = await latestFinancing(t, statement.carrier_id);
        const amount_due_micros = outstandingMicros(statement);
        const refusal = deferralRefusal({
          days: request.days, terms, status: statement.status, outstanding_micros: amount_due_micros, due_date: details.due_date, today: details.today, already_deferred: false,
        });
        if (refusal !== null || terms === null) throw new Refused(refusal ?? 'credit_assessment_required', terms?.deferral_days);
        const interest_micros = deferralInterestMicros(amount_due_micros, terms.deferral_rate_bps_per_year, request.days);
        const id = randomUUID();
        const due_date_after = addDays(details.due_date, request.days);
        const posted = interest_micros > 0n
          ? (await this.ledger.postMany([deferralInterestTransaction(id, statement.carrier_id, statement.currency, interest_micros)], t))[0]!.transaction_id
          : null;
        await t.none(
          `insert into deferrals (id, statement_id, carrier_id, currency, days, assessment_id, grade, rate_bps_per_year, allowed_days, amount_due_micros,
             interest_micros, due_date_before, due_date_after, ledger_transaction_id, requested_by)
           values ($<id>, $<statement_id>, $<carrier_id>, $<currency>, $<days>, $<assessment_id>, $<grade>, $<rate>, $<allowed>, $<amount_due>,
             $<interest>, $<before>, $<after>, $<ledger>, $<actor>)`,
          {
            id, statement_id: statement.id, carrier_id: statement.carrier_id, currency: statement.currency, days: request.days, assessment_id: terms.assessment_id,
            grade: terms.grade, rate: terms.deferral_rate_bps_per_year, allowed: terms.deferral_days, amount_due: amount_due_micros.toString(),
            interest: interest_micros.toString(), before: details.due_date, after: due_date_after, ledger: posted?.toString() ?? null, actor: request.actor,
          });
        // The due date the overdue policy and the credit watch read moves once, and remembers where it was.
        await t.none('update statements set deferred_from = due_date, due_date = $2 where id = $1', [statement.id, due_date_after]);
        if (posted !== null) {
          const rate = `${terms.deferral_rate_bps_per_year} bps a year`;
          await issueNote(t, {
            kind: 'debit', carrier_id: statement.carrier_id, currency: statement.currency, section: 'bought', statement_id: statement.id,
            amount_micros: interest_micros, dispute_id: null, correction_id: null, deferral_id: id,
            reason: `interest: ${formatMicros(amount_due_micros, statement.currency)} deferred ${request.days} days at ${rate}, due ${due_date_after} instead of ${details.due_date}`,
            lines: [], ledger_transaction_id: posted,
          }, request.actor);
        }
        await refreshCachedBalances(t, [statement.carrier_id]);
        await audit(t, request.actor, 'statement.defer', `statement:${statement.id}`, {
          deferral_id: id, carrier_id: statement.carrier_id, days: request.days, grade: terms.grade, rate_bps_per_year: terms.deferral_rate_bps_per_year,
          amount_due_micros: amount_due_micros.toString(), interest_micros: interest_micros.toString(), due_date_before: details.due_date, due_date_after,
        });
        return { outcome: 'granted', deferral: await t.one<StoredDeferral>(`${SELECT} where d.id = $1`, [id]) } as const;
      });
    } catch (error) {
      if (error instanceof Refused) return { outcome: 'refused', reason: error.reason, ...(error.allowed_days === undefined ? {} : { allowed_days: error.allowed_days }) };
      if (error instanceof SettleRefused && error.reason === 'unknown_statement') return { outcome: 'refused', reason: 'unknown_statement' };
      throw error;
    }
  }

  /** Newest first; only this carrier's when `carrier_id` is given. */
  list(filter: { carrier_id: string | null; limit: number }): Promise<StoredDeferral[]> {
    return this.db.any<StoredDeferral>(`${SELECT} where ($1::uuid is null or d.carrier_id = $1) order by d.created_at desc, d.id limit $2`, [filter.carrier_id, filter.limit]);
  }
}
