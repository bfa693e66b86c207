/**
 * Settling reservations: inside billing's transaction that posts the charges, a call's open
 * reservation is posted (charged) or voided (nothing charged), its whole amount leaves the buyer's
 * reserved credit and the cached ledger balance takes the charge, all in the same commit, so money
 * is never counted both as reserved and as spent, nor as neither. Locks are taken as every credit
 * decision takes them: the buyer's credit account first, then the reservation.
 */
import { isOpenReservationState } from '../core/credit/reservation-lifecycle.ts';
import { audit } from '../store/audit.ts';
import { lockCreditAccountRow, refreshCachedBalances, type Queryable } from './credit-account-lock.ts';
import { RESERVATION_COLUMNS, transition, type ReservationRow, type SettleOutcome } from './reservation-rows.ts';
import type { ReservationState } from '../core/credit/reservation-lifecycle.ts';

/**
 * Closes a call's open reservation inside the caller's transaction, the one that posts the
 * call's charge to the ledger: `charged_micros` 0 voids it, more posts it. Either way its whole
 * amount leaves the buyer's reserved credit and `charged_micros` is recorded. Returns 'none'
 * when the call has no open reservation (never reserved, or settled already: a replay).
 */
export async function settleOne(t: Queryable, call_id: string, charged_micros: bigint): Promise<SettleOutcome> {
  const [outcome] = await settleMany(t, [{ call_id, charged_micros }]);
  return outcome!;
}

/**
 * Settles many calls' reservations in the posting transaction with a handful of statements,
 * whatever their number: the buyers' accounts are locked first, in one order (as every credit
 * decision does), then the reservations; each move still goes through the lifecycle's one
 * transition function. One outcome per call, in order.
 */
export async function settleMany(t: Queryable, settlements: ReadonlyArray<{ call_id: string; charged_micros: bigint }>): Promise<SettleOutcome[]> {
  if (!t.ctx.inTransaction) throw new Error('settleManyInTransaction must run inside the transaction that posts the charges');
  if (settlements.length === 0) return [];
  for (const settlement of settlements) {
    if (settlement.charged_micros < 0n) throw new RangeError(`charged_micros must not be negative, got ${settlement.charged_micros}`);
  }
  const call_ids = settlements.map((settlement) => settlement.call_id);
  const owners = await t.any<{ carrier_id: string; currency: string }>(
    `select distinct carrier_id, currency from credit_reservations where call_id in ($1:csv) and state in ('pending', 'extended')`, [call_ids]);
  if (owners.length === 0) return settlements.map(() => 'none');
  owners.sort((a, b) => (a.carrier_id === b.carrier_id ? (a.currency < b.currency ? -1 : 1) : a.carrier_id < b.carrier_id ? -1 : 1));
  await t.any(
    `select 1 from credit_accounts a join unnest($1::uuid[], $2::text[]) as o (carrier_id, currency)
       on a.carrier_id = o.carrier_id and a.currency = o.currency
     order by a.carrier_id, a.currency for update of a`,
    [owners.map((owner) => owner.carrier_id), owners.map((owner) => owner.currency)],
  );
  const reservations = new Map((await t.any<ReservationRow>(
    `select ${RESERVATION_COLUMNS} from credit_reservations where call_id in ($1:csv) order by call_id for update`, [call_ids],
  )).map((reservation) => [reservation.call_id, reservation]));
  const leases = await lockLeases(t, [...reservations.values()]);
  const outcomes: SettleOutcome[] = [];
  const closing: Array<{ call_id: string; state: ReservationState; charged_micros: bigint }> = [];
  const released = new Map<string, { carrier_id: string; currency: string; micros: bigint }>();
  const unleased = new Map<string, { carrier_id: string; currency: string; micros: bigint }>();
  const overcharged: Array<{ call_id: string; reserved_micros: bigint; charged_micros: bigint }> = [];
  for (const settlement of settlements) {
    const reservation = reservations.get(settlement.call_id);
    if (!reservation || !isOpenReservationState(reservation.state)) {
      outcomes.push('none');
      continue;
    }
    const state = transition(reservation, settlement.charged_micros === 0n ? 'void' : 'post');
    reservations.set(reservation.call_id, { ...reservation, state });
    closing.push({ call_id: reservation.call_id, state, charged_micros: settlement.charged_micros });
    // Charged beyond what was reserved is a broken promise of credit control: billed exactly all
    // the same, and raised for the operators in the audit log.
    if (settlement.charged_micros > reservation.amount_micros) {
      overcharged.push({ call_id: reservation.call_id, reserved_micros: reservation.amount_micros, charged_micros: settlement.charged_micros });
    }
    const lease = reservation.lease_id === null ? undefined : leases.get(reservation.lease_id);
    if (lease === undefined) {
      addTo(released, reservation, reservation.amount_micros);
    } else {
      // From a lease still in use, only the charge leaves it: the rest of the hold is free again
      // for the node's next calls (the node counted the same in memory). From a closed lease, the
      // whole hold leaves it: nobody will serve another call from it.
      const wanted_micros = lease.state === 'active' ? settlement.charged_micros : reservation.amount_micros;
      const take_micros = wanted_micros < lease.amount_micros ? wanted_micros : lease.amount_micros;
      lease.amount_micros -= take_micros;
      addTo(unleased, reservation, take_micros);
    }
    outcomes.push(state === 'posted' ? 'posted' : 'voided');
  }
  if (closing.length > 0) {
    await t.none(
      `update credit_reservations r set state = c.state, charged_micros = c.charged, closed_at = now(), updated_at = now()
       from unnest($1::text[], $2::text[], $3::bigint[]) as c (call_id, state, charged) where r.call_id = c.call_id`,
      [closing.map((row) => row.call_id), closing.map((row) => row.state), closing.map((row) => row.charged_micros.toString())],
    );
    await moveOutOfAccounts(t, 'reserved_micros', [...released.values()]);
    await moveOutOfAccounts(t, 'leased_micros', [...unleased.values()]);
    const changed = [...leases.entries()].filter(([, lease]) => lease.amount_micros !== lease.amount_before_micros);
    if (changed.length > 0) {
      await t.none(
        `update credit_leases l set amount_micros = c.amount, updated_at = now() from unnest($1::uuid[], $2::bigint[]) as c (id, amount) where l.id = c.id`,
        [changed.map(([id]) => id), changed.map(([, lease]) => lease.amount_micros.toString())],
      );
    }
    for (const over of overcharged) {
      await audit(t, 'system', 'credit.charged_beyond_reservation', `call:${over.call_id}`, {
        reserved_micros: over.reserved_micros.toString(), charged_micros: over.charged_micros.toString(),
      });
    }
    // The charges were posted in this transaction: the cached balances take them in the same commit.
    await refreshCachedBalances(t, [...new Set([...released.values(), ...unleased.values()].map((row) => row.carrier_id))]);
  }
  return outcomes;
}

interface LockedLease {
  state: 'active' | 'released' | 'expired';
  amount_micros: bigint;
  readonly amount_before_micros: bigint;
}

/** Locks the leases these reservations were served from (after their accounts, as every credit transaction does). */
async function lockLeases(t: Queryable, reservations: readonly ReservationRow[]): Promise<Map<string, LockedLease>> {
  const ids = [...new Set(reservations.flatMap((reservation) => (reservation.lease_id === null ? [] : [reservation.lease_id])))];
  if (ids.length === 0) return new Map();
  const rows = await t.any<{ id: string; state: LockedLease['state']; amount_micros: bigint }>(
    'select id, state, amount_micros from credit_leases where id in ($1:csv) order by id for update', [ids]);
  return new Map(rows.map((row) => [row.id, { state: row.state, amount_micros: row.amount_micros, amount_before_micros: row.amount_micros }]));
}

function addTo(totals: Map<string, { carrier_id: string; currency: string; micros: bigint }>, owner: { carrier_id: string; currency: string }, micros: bigint): void {
  const key = `${owner.carrier_id}|${owner.currency}`;
  const total = totals.get(key) ?? { carrier_id: owner.carrier_id, currency: owner.currency, micros: 0n };
  total.micros += micros;
  totals.set(key, total);
}

async function moveOutOfAccounts(t: Queryable, column: 'reserved_micros' | 'leased_micros', totals: ReadonlyArray<{ carrier_id: string; currency: string; micros: bigint }>): Promise<void> {
  const moving = totals.filter((row) => row.micros !== 0n);
  if (moving.length === 0) return;
  await t.none(
    `update credit_accounts a set $1:name = a.$1:name - d.micros, updated_at = now()
     from unnest($2::uuid[], $3::text[], $4::bigint[]) as d (carrier_id, currency, micros)
     where a.carrier_id = d.carrier_id and a.currency = d.currency`,
    [column, moving.map((row) => row.carrier_id), moving.map((row) => row.currency), moving.map((row) => row.micros.toString())],
  );
}

export async function lockOpenReservation(t: Queryable, call_id: string): Promise<ReservationRow | null> {
  const found = await t.oneOrNone<{ carrier_id: string; currency: string }>(
    `select carrier_id, currency from credit_reservations where call_id = $1 and state in ('pending', 'extended')`,
    [call_id],
  );
  if (found === null) return null;
  await lockCreditAccountRow(t, found.carrier_id, found.currency);
  const reservation = await t.one<ReservationRow>(`select ${RESERVATION_COLUMNS} from credit_reservations where call_id = $1 for update`, [call_id]);
  return isOpenReservationState(reservation.state) ? reservation : null;
}
