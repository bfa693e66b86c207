/**
 * Capacity leases in PostgreSQL (db/migrations/017_capacity_leases.sql): how many slots of a
 * resource (channels of a trunk or a trade, calls per second of an ingress trunk) each node holds.
 * A node's slots change only here, under a transaction-scoped advisory lock on the resource, so
 * the slots of all live nodes never add up to more than the limit.
 */
import type { Db } from '../../common/db/database.ts';

export class CapacityLeaseStore {
  constructor(private readonly db: Db) {}

  /**
   * Sets this node's slots of `resource` to `wanted` or as many as the other live nodes leave
   * under `limit`, whichever is fewer (never fewer than the node's calls use now, `floor`); returns
   * the slots held now.
   */
  async resize(node_id: string, resource: string, limit: number, wanted: number, floor: number, ttl_ms: number): Promise<number> {
    return this.db.tx('capacity-lease-resize', async (t) => {
      await t.any('select pg_advisory_xact_lock(hashtext($1))', [resource]);
      const { others } = await t.one<{ others: number }>(
        `select coalesce(sum(slots), 0)::int as others from capacity_leases
         where resource = $1 and node_id <> $2 and expires_at > now()`,
        [resource, node_id],
      );
      const slots = Math.max(floor, Math.min(wanted, limit - others), 0);
      await t.none(
        `insert into capacity_leases (resource, node_id, slots, expires_at) values ($1, $2, $3, now() + $4 * interval '1 millisecond')
         on conflict (resource, node_id) do update set slots = excluded.slots, expires_at = excluded.expires_at, updated_at = now()`,
        [resource, node_id, slots, ttl_ms],
      );
      return slots;
    });
  }

  /** The node is alive: every one of its capacity leases lives on. */
  async renew(node_id: string, ttl_ms: number): Promise<void> {
    await this.db.none(`update capacity_leases set expires_at = now() + $2 * interval '1 millisecond' where node_id = $1 and slots > 0`, [node_id, ttl_ms]);
  }

  /** Gives every slot of this node back (at stop, and at start for what an earlier run held). */
  async releaseAll(node_id: string): Promise<void> {
    await this.db.none('delete from capacity_leases where node_id = $1', [node_id]);
  }
}
