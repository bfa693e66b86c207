/**
 * Credit leases in PostgreSQL (db/migrations/012_credit_leases.sql): the one place a slice of a
 * buyer's pool is taken, given back, renewed or expired. Every change locks the buyer's credit
 * account first, as every credit decision does (credit-account-lock.ts), and moves the same
 * amount in the lease and in the account's leased_micros, so the pool's invariant
 * (limit + collateral + balance − reserved − leased ≥ 0) is decided here and only here.
 *
 * What a node does with its lease (serving calls from it in memory) is credit-leases.ts.
 */
import type { Db } from '../../common/db/database.ts';
import { availableCreditMicros, refusalFor, type CreditRefusal } from '../core/credit/credit-math.ts';
import { leaseSliceMicros, type LeaseSizingInput } from '../core/credit/lease-math.ts';
import { lockCreditAccountRow, lockCreditPosition, type Queryable } from './credit-account-lock.ts';

export type SliceRequest = Omit<LeaseSizingInput, 'available_micros'> & {
  readonly node_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  /** How long the lease lives without a renewal, ms. */
  readonly ttl_ms: number;
};

export type SliceResult =
  | { readonly ok: true; readonly lease_id: string; readonly granted_micros: bigint; /** The lease's amount after the grant. */ readonly amount_micros: bigint }
  | { readonly ok: false; readonly reason: CreditRefusal };

export interface ExpiredLease {
  readonly lease_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  /** What went back to the pool. */
  readonly returned_micros: bigint;
  /** What the lease still holds for reservations awaiting settlement. */
  readonly kept_micros: bigint;
}

export class LeaseStore {
  constructor(private readonly db: Db) {}

  /** Records this node (and its heartbeat); leases, reservations and calls carry its id. */
  async registerNode(node_id: string): Promise<void> {
    await this.db.none(
      `insert into control_nodes (id) values ($1)
       on conflict (id) do update set started_at = now(), heartbeat_at = now()`,
      [node_id],
    );
  }

  /**
   * Adds a slice to this node's lease on the buyer's pool (creating the lease on first use), in one
   * transaction. When the pool has less than the sizing asks for but more than nothing, the slice
   * is what is left, so the last credit serves the call that is waiting; with nothing left, the
   * exact refusal reason of the pool's position.
   */
  async takeSlice(request: SliceRequest): Promise<SliceResult> {
    return this.db.tx('credit-lease-take', async (t) => {
      const position = await lockCreditPosition(t, request.carrier_id, request.currency);
      const available_micros = availableCreditMicros(position);
      const granted_micros = leaseSliceMicros({ ...request, available_micros });
      if (granted_micros === 0n) return { ok: false, reason: refusalFor(position, available_micros) };
      const lease = await t.one<{ id: string; amount_micros: bigint }>(
        `insert into credit_leases (node_id, carrier_id, currency, amount_micros, state, expires_at)
         values ($1, $2, $3, $4, 'active', now() + $5 * interval '1 millisecond')
         on conflict (node_id, carrier_id, currency) where state = 'active'
         do update set amount_micros = credit_leases.amount_micros + excluded.amount_micros, expires_at = excluded.expires_at, updated_at = now()
         returning id, amount_micros`,
        [request.node_id, request.carrier_id, request.currency, granted_micros, request.ttl_ms],
      );
      await changeLeased(t, request.carrier_id, request.currency, granted_micros);
      return { ok: true, lease_id: lease.id, granted_micros, amount_micros: lease.amount_micros };
    });
  }

  /**
   * Gives `give_micros` of a lease back to the pool. With `close`, a lease left with nothing is
   * closed; one that still holds money (a settlement this node counted before PostgreSQL did)
   * stays active until a later give-back empties it.
   */
  async giveBack(lease_id: string, give_micros: bigint, close: boolean): Promise<{ amount_micros: bigint; closed: boolean }> {
    if (give_micros < 0n) throw new RangeError(`give_micros must not be negative, got ${give_micros}`);
    return this.db.tx('credit-lease-give-back', async (t) => {
      const lease = await lockLease(t, lease_id);
      if (lease === null) throw new Error(`lease ${lease_id} does not exist`);
      if (give_micros > lease.amount_micros) throw new Error(`credit invariant broken: giving back ${give_micros} micros of lease ${lease_id} holding ${lease.amount_micros}`);
      const amount_micros = lease.amount_micros - give_micros;
      const closed = close && amount_micros === 0n && lease.state === 'active';
      await t.none(
        `update credit_leases set amount_micros = $2, updated_at = now(),
           state = case when $3 then 'released' else state end, closed_at = case when $3 then now() else closed_at end
         where id = $1`,
        [lease_id, amount_micros, closed],
      );
      if (give_micros > 0n) await changeLeased(t, lease.carrier_id, lease.currency, -give_micros);
      return { amount_micros, closed };
    });
  }

  /** The node is alive: its heartbeat and every active lease's expiry move forward, in one statement. */
  async renew(node_id: string, ttl_ms: number): Promise<void> {
    await this.db.none(
      `with node as (update control_nodes set heartbeat_at = now() where id = $1 returning id)
       update credit_leases set expires_at = now() + $2 * interval '1 millisecond'
       where node_id = (select id from node) and state = 'active'`,
      [node_id, ttl_ms],
    );
  }

  /**
   * Expires leases nobody renewed in time (a node that died), or, with `node_id`, every active
   * lease of that node (its own leases from before a restart). What the lease's open
   * reservations hold stays in it until billing settles them; the rest returns to the pool.
   */
  async expire(options: { node_id?: string } = {}): Promise<ExpiredLease[]> {
    const candidates = await this.db.any<{ id: string }>(
      options.node_id === undefined
        ? `select id from credit_leases where state = 'active' and expires_at < now() order by id limit 1000`
        : `select id from credit_leases where state = 'active' and node_id = $1 order by id`,
      [options.node_id],
    );
    const expired: ExpiredLease[] = [];
    for (const { id } of candidates) {
      const one = await this.db.tx('credit-lease-expire', async (t) => {
        const lease = await lockLease(t, id);
        if (lease?.state !== 'active') return null;
        const { held_micros } = await t.one<{ held_micros: bigint }>(
          `select coalesce(sum(amount_micros), 0)::bigint as held_micros from credit_reservations
           where lease_id = $1 and state in ('pending', 'extended')`,
          [id],
        );
        const kept_micros = held_micros < lease.amount_micros ? held_micros : lease.amount_micros;
        const returned_micros = lease.amount_micros - kept_micros;
        await t.none(
          `update credit_leases set state = 'expired', amount_micros = $2, closed_at = now(), updated_at = now() where id = $1`,
          [id, kept_micros],
        );
        if (returned_micros > 0n) await changeLeased(t, lease.carrier_id, lease.currency, -returned_micros);
        return { lease_id: id, carrier_id: lease.carrier_id, currency: lease.currency, returned_micros, kept_micros };
      });
      if (one !== null) expired.push(one);
    }
    return expired;
  }
}

interface LeaseRow {
  carrier_id: string;
  currency: string;
  amount_micros: bigint;
  state: 'active' | 'released' | 'expired';
}

/** Locks the lease's buyer account, then the lease (the order every credit transaction takes). */
async function lockLease(t: Queryable, lease_id: string): Promise<LeaseRow | null> {
  const owner = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, trim(currency) as currency from credit_leases where id = $1', [lease_id]);
  if (owner === null) return null;
  await lockCreditAccountRow(t, owner.carrier_id, owner.currency);
  return t.one<LeaseRow>('select carrier_id, trim(currency) as currency, amount_micros, state from credit_leases where id = $1 for update', [lease_id]);
}

/** Moves `delta_micros` into (positive) or out of (negative) the account's leased credit. */
export async function changeLeased(t: Queryable, carrier_id: string, currency: string, delta_micros: bigint): Promise<void> {
  await t.none('update credit_accounts set leased_micros = leased_micros + $3, updated_at = now() where carrier_id = $1 and currency = $2', [
    carrier_id,
    currency,
    delta_micros,
  ]);
}
