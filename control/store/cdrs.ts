/**
 * CDRs as operators and carriers read them, and the operator's requeue of a quarantined CDR.
 * (The hot-path writes are CallStore's; rating and posting are billing's.)
 */
import type { Db } from '../../common/db/database.ts';
import type { CdrRow } from '../api/views/cdrs.ts';
import { audit } from './audit.ts';

export type BillingStatus = 'pending' | 'rated' | 'quarantined';

export interface CdrFilter {
  /** Only CDRs where this carrier is the buyer or the seller; null for all. */
  readonly carrier_id: string | null;
  readonly status: BillingStatus | null;
  readonly limit: number;
}

export type RequeueOutcome = 'requeued' | 'not_found' | 'not_quarantined';

export class CdrStore {
  constructor(private readonly db: Db) {}

  /** Newest first; quarantined ones in the order they were set aside, newest first too. */
  list(filter: CdrFilter): Promise<CdrRow[]> {
    return this.db.any<CdrRow>(
      `select c.*, d.name as destination_name, it.tech_prefix as buyer_tech_prefix
       from cdrs c left join destinations d on d.id = c.destination_id left join trunks it on it.id = c.ingress_trunk_id
       where ($1::uuid is null or c.buyer_id = $1 or c.seller_id = $1) and ($2::text is null or c.billing_status = $2)
       order by c.end_at desc, c.call_id limit $3`,
      [filter.carrier_id, filter.status, filter.limit],
    );
  }

  /**
   * Puts a quarantined CDR back in billing's queue (after its cause was fixed), audited with the
   * reason it was set aside for; billing's next sweep rates it again from its stored terms.
   */
  requeue(call_id: string, actor: string): Promise<RequeueOutcome> {
    return this.db.tx('requeue-cdr', async (t) => {
      const row = await t.oneOrNone<{ billing_status: BillingStatus; quarantine_reason: string | null }>(
        'select billing_status, quarantine_reason from cdrs where call_id = $1 for update', [call_id]);
      if (row === null) return 'not_found';
      if (row.billing_status !== 'quarantined') return 'not_quarantined';
      await t.none(`update cdrs set billing_status = 'pending', quarantine_reason = null, quarantined_at = null where call_id = $1`, [call_id]);
      await audit(t, actor, 'cdr.requeue', call_id, { quarantine_reason: row.quarantine_reason });
      return 'requeued';
    });
  }
}
