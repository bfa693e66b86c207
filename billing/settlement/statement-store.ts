/** Reading issued statements and their lines (the run that writes them is statement-run.ts). */
import type { Db } from '../../common/db/database.ts';
import type { BillingPeriodKind } from '../core/billing-period.ts';
import type { StatementState } from '../core/statement-lifecycle.ts';
import type { StatementLine } from '../core/statement.ts';

export interface StoredStatement {
  readonly id: string;
  readonly number: bigint;
  readonly carrier_id: string;
  readonly carrier_name: string;
  readonly currency: string;
  readonly period_kind: BillingPeriodKind;
  readonly time_zone: string;
  readonly period_start: string;
  readonly period_end: string;
  readonly period_start_at: Date;
  readonly period_end_at: Date;
  readonly status: StatementState;
  readonly bought_micros: bigint;
  readonly fees_micros: bigint;
  readonly sold_micros: bigint;
  readonly netting_micros: bigint;
  readonly balance_micros: bigint;
  readonly paid_micros: bigint;
  /** Credit and debit notes allocated to it (billing/settlement/note-store.ts). */
  readonly credited_micros: bigint;
  readonly debited_micros: bigint;
  readonly issued_at: Date;
  readonly due_date: string;
  /** The due date it had before a deferral moved it; null when never deferred. */
  readonly deferred_from?: string | null;
}

export interface StatementWithLines extends StoredStatement {
  readonly lines: readonly StatementLine[];
}

export interface StatementFilter {
  /** Only this carrier's statements; null for all. */
  readonly carrier_id: string | null;
  readonly limit: number;
}

const SELECT_STATEMENT = `
  select s.id, s.number, s.carrier_id, c.name as carrier_name, trim(s.currency) as currency, s.period_kind, s.time_zone,
         s.period_start::text as period_start, s.period_end::text as period_end, s.period_start_at, s.period_end_at, s.status,
         s.bought_micros, s.fees_micros, s.sold_micros, s.netting_micros, s.balance_micros, s.paid_micros, s.credited_micros, s.debited_micros, s.issued_at, s.due_date::text as due_date,
         s.deferred_from::text as deferred_from
  from statements s join carriers c on c.id = s.carrier_id`;

export class StatementStore {
  constructor(private readonly db: Db) {}

  /** An issued statement with its lines; null when there is none (drafts never leave their run). */
  async statement(id: string): Promise<StatementWithLines | null> {
    const statement = await this.db.oneOrNone<StoredStatement>(`${SELECT_STATEMENT} where s.id = $1 and s.status <> 'draft'`, [id]);
    if (statement === null) return null;
    const lines = await this.db.map(
      `select section, destination_id, destination_name, adjustment, calls, billed_s, amount_micros, fee_micros
       from statement_lines where statement_id = $1 order by line_no`,
      [id],
      (row: StatementLine) => ({ ...row }),
    );
    return { ...statement, lines };
  }

  /** Newest period first, then by number. */
  list(filter: StatementFilter): Promise<StoredStatement[]> {
    return this.db.any<StoredStatement>(
      `${SELECT_STATEMENT} where s.status <> 'draft' and ($1::uuid is null or s.carrier_id = $1)
       order by s.period_end desc, s.number desc limit $2`,
      [filter.carrier_id, filter.limit],
    );
  }
}
