/**
 * What an open reservation holds, moved in the right place: the pool's reserved credit for a
 * reservation made against the pool, or its lease (and the pool's leased credit) for one served
 * from a lease. Runs inside the caller's transaction, after the buyer's account is locked.
 */
import { changeReserved, type Queryable } from './credit-account-lock.ts';
import { changeLeased } from './lease-store.ts';
import type { ReservationRow } from './reservation-rows.ts';

/**
 * Adds to what an open reservation holds: in the pool's reserved credit, or, for one served from a
 * lease (a call adopted after a restart, whose lease was closed), in the lease and the pool's leased credit.
 */
export async function holdMore(t: Queryable, reservation: ReservationRow, added_micros: bigint): Promise<void> {
  if (reservation.lease_id === null) {
    await changeReserved(t, reservation.carrier_id, reservation.currency, added_micros);
    return;
  }
  await t.none('update credit_leases set amount_micros = amount_micros + $2, updated_at = now() where id = $1', [reservation.lease_id, added_micros]);
  await changeLeased(t, reservation.carrier_id, reservation.currency, added_micros);
}

/**
 * Gives back what an expiring reservation held. One served from a lease that is still in use stays
 * in the lease (its node frees the hold in memory); from a closed lease, it returns to the pool.
 */
export async function releaseHold(t: Queryable, reservation: ReservationRow): Promise<void> {
  if (reservation.lease_id === null) {
    await changeReserved(t, reservation.carrier_id, reservation.currency, -reservation.amount_micros);
    return;
  }
  const lease = await t.one<{ state: string; amount_micros: bigint }>('select state, amount_micros from credit_leases where id = $1 for update', [reservation.lease_id]);
  if (lease.state === 'active') return;
  const take_micros = reservation.amount_micros < lease.amount_micros ? reservation.amount_micros : lease.amount_micros;
  await t.none('update credit_leases set amount_micros = amount_micros - $2, updated_at = now() where id = $1', [reservation.lease_id, take_micros]);
  await changeLeased(t, reservation.carrier_id, reservation.currency, -take_micros);
}
