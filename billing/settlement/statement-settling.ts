/**
 * Moves what has been paid on a statement, inside the caller's transaction: a payment or a draw
 * adds to it, a reversed payment takes from it, and the statement's status follows
 * (billing/core/statement-lifecycle.ts). Anything that cannot be placed is refused whole with a
 * reason, so the caller's transaction rolls back and nothing is changed.
 */
import type { ITask } from 'pg-promise';
import { effectiveBalance } from '../core/notes.ts';
import { nextStatementState, paymentTrigger, type StatementState } from '../core/statement-lifecycle.ts';

/** Reasons a settlement refuses with, among others the callers give (unknown_collateral, ...). */
export type SettleRefusal = 'unknown_statement' | 'currency_mismatch' | 'statement_not_open' | 'amount_exceeds_outstanding' | 'carrier_mismatch';

/** Thrown inside a transaction to roll it back; the caller turns it into a 4xx answer. */
export class SettleRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface LockedStatement {
  readonly id: string;
  readonly carrier_id: string;
  readonly currency: string;
  readonly status: StatementState;
  readonly balance_micros: bigint;
  readonly paid_micros: bigint;
  /** Credit and debit notes allocated to the statement (they change what it asks, not what was paid). */
  readonly credited_micros: bigint;
  readonly debited_micros: bigint;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Locks an issued statement (never a draft); refused when unknown. */
export async function lockStatement(t: ITask<object>, statement_id: string): Promise<LockedStatement> {
  if (!UUID.test(statement_id)) throw new SettleRefused('unknown_statement');
  const row = await t.oneOrNone<LockedStatement>(
    `select id, carrier_id, trim(currency) as currency, status, balance_micros, paid_micros, credited_micros, debited_micros
     from statements where id = $1 and status <> 'draft' for update`,
    [statement_id]);
  if (row === null) throw new SettleRefused('unknown_statement');
  return row;
}

/**
 * What the carrier still owes on a statement: what it asks (its balance, less credit notes, plus
 * debit notes allocated to it) less what was paid (payments and draws). The one place outstanding
 * is defined.
 */
export function outstandingMicros(statement: Pick<LockedStatement, 'balance_micros' | 'paid_micros' | 'credited_micros' | 'debited_micros'>): bigint {
  const left = effectiveBalance(statement) - statement.paid_micros;
  return left > 0n ? left : 0n;
}

/**
 * Adds `amount_micros` to what the carrier paid on a statement it owes; returns the new status.
 * `confirmed`: money the bank already paid (an honoured draw), which is recorded even when the
 * statement was paid meanwhile (the carrier is then in credit by the excess); otherwise a
 * statement that is not open, or an amount beyond what is left, is refused.
 */
export async function payOnStatement(t: ITask<object>, statement: LockedStatement, amount_micros: bigint, confirmed = false): Promise<StatementState> {
  const paid_micros = statement.paid_micros + amount_micros;
  if (confirmed && statement.status === 'paid') {
    await t.none('update statements set paid_micros = $1 where id = $2', [paid_micros.toString(), statement.id]);
    return statement.status;
  }
  const owed_micros = effectiveBalance(statement);
  const status = nextStatementState(statement.status, paymentTrigger(owed_micros, paid_micros));
  if (status === undefined || owed_micros <= 0n) throw new SettleRefused('statement_not_open');
  if (!confirmed && paid_micros > owed_micros) throw new SettleRefused('amount_exceeds_outstanding');
  await t.none('update statements set paid_micros = $1, status = $2 where id = $3', [paid_micros.toString(), status, statement.id]);
  return status;
}

/** Takes `amount_micros` back from what was paid on a statement (a payment reversed). */
export async function unpayOnStatement(t: ITask<object>, statement: LockedStatement, amount_micros: bigint): Promise<StatementState> {
  const paid_micros = statement.paid_micros - amount_micros;
  if (paid_micros < 0n) throw new SettleRefused('amount_exceeds_paid');
  const status = nextStatementState(statement.status, paid_micros > 0n ? 'reverse_partially' : 'reverse_fully');
  if (status === undefined) throw new SettleRefused('statement_not_open');
  await t.none('update statements set paid_micros = $1, status = $2 where id = $3', [paid_micros.toString(), status, statement.id]);
  return status;
}
