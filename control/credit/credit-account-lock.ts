/**
 * The lock every credit decision takes: the buyer's credit_accounts row, `for update`, for the
 * rest of the transaction. All of one buyer's calls draw on one pool, and this row is the pool:
 * two transactions that both want to reserve, extend, settle or change collateral for the same
 * buyer and currency take turns, so neither can spend what the other has just taken.
 *
 * Order of locks, the same everywhere, so that two credit transactions never wait on each other
 * in a circle: the credit account first, then the rows it governs (a reservation, a collateral).
 *
 * The position is read in statements AFTER the lock is granted. Under READ COMMITTED (the
 * default, and what every transaction here uses) each statement sees what was committed when it
 * started, so those reads see everything committed by the transaction we waited for: a ledger
 * posting and the release of the reservation it settles arrive together, never one without the
 * other. Under REPEATABLE READ the lock itself fails with a serialization error when the row
 * changed meanwhile, which is safe too.
 */
import type { ITask } from 'pg-promise';
import type { CreditPosition } from '../core/credit/credit-math.ts';

export type Queryable = ITask<object>;

interface AccountRow {
  limit_micros: bigint;
  collateral_micros: bigint;
  reserved_micros: bigint;
  leased_micros: bigint;
  balance_micros: bigint;
}

const SELECT_FOR_UPDATE =
  'select limit_micros, collateral_micros, reserved_micros, leased_micros, balance_micros from credit_accounts where carrier_id = $1 and currency = $2 for update';

/** Locks the carrier's credit account in `currency`, creating it (all zeros) on first use. */
export async function lockCreditAccountRow(t: Queryable, carrier_id: string, currency: string): Promise<AccountRow> {
  const existing = await t.oneOrNone<AccountRow>(SELECT_FOR_UPDATE, [carrier_id, currency]);
  if (existing !== null) return existing;
  // A concurrent first use may insert the same row: then this insert waits for it and does nothing.
  await t.none('insert into credit_accounts (carrier_id, currency) values ($1, $2) on conflict do nothing', [carrier_id, currency]);
  return t.one<AccountRow>(SELECT_FOR_UPDATE, [carrier_id, currency]);
}

/**
 * Locks the account and reads the buyer's whole position at this moment: the collateral valid now
 * (brought into the cached column if it changed, so that an expired letter of credit stops
 * counting at the first decision after its expiry) and its ledger balance.
 */
export async function lockCreditPosition(t: Queryable, carrier_id: string, currency: string): Promise<CreditPosition> {
  const account = await lockCreditAccountRow(t, carrier_id, currency);
  const fresh = await t.one<{ collateral_micros: bigint; balance_micros: bigint }>(
    `select credit_valid_collateral_micros($1, $2) as collateral_micros, credit_ledger_balance_micros($1, $2) as balance_micros`,
    [carrier_id, currency],
  );
  // Both cached columns are brought up to date, so the fast path (a single conditional UPDATE that
  // reads only this row) decides on exact figures.
  if (fresh.collateral_micros !== account.collateral_micros || fresh.balance_micros !== account.balance_micros) {
    await t.none('update credit_accounts set collateral_micros = $3, balance_micros = $4, updated_at = now() where carrier_id = $1 and currency = $2', [
      carrier_id,
      currency,
      fresh.collateral_micros,
      fresh.balance_micros,
    ]);
  }
  return {
    limit_micros: account.limit_micros,
    collateral_micros: fresh.collateral_micros,
    balance_micros: fresh.balance_micros,
    // Money in leases is held for calls as much as money in reservations is.
    reserved_micros: account.reserved_micros + account.leased_micros,
  };
}

/** Moves `delta_micros` into (positive) or out of (negative) the account's reserved credit. */
export async function changeReserved(t: Queryable, carrier_id: string, currency: string, delta_micros: bigint): Promise<void> {
  await t.none('update credit_accounts set reserved_micros = reserved_micros + $3, updated_at = now() where carrier_id = $1 and currency = $2', [
    carrier_id,
    currency,
    delta_micros,
  ]);
}

/** Re-reads the ledger balance of these carriers' credit accounts into the cache, in transaction `t`. */
export async function refreshCachedBalances(t: Queryable, carrier_ids: readonly string[]): Promise<void> {
  if (carrier_ids.length === 0) return;
  await t.none(
    `update credit_accounts set balance_micros = credit_ledger_balance_micros(carrier_id, currency), updated_at = now()
     where carrier_id in ($1:csv) and balance_micros <> credit_ledger_balance_micros(carrier_id, currency)`,
    [[...new Set(carrier_ids)].sort()],
  );
}
