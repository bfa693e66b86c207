/**
 * Each buyer's risk premium (basis points) and whether it is refused credit, from its latest
 * credit assessment, held in memory so that the call path reads them without a database trip. Refreshed from PostgreSQL periodically
 * (so assessments made by other nodes reach this one within a period) and at once after an
 * assessment on this node.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';

export class PremiumBook {
  private premiums = new Map<string, number>();
  private refusedBuyers = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly log: Logger) {}

  of(buyer_id: string): number {
    return this.premiums.get(buyer_id) ?? 0;
  }

  /** True when the buyer's latest assessment refused it credit. */
  refused(buyer_id: string): boolean {
    return this.refusedBuyers.has(buyer_id);
  }

  async refresh(): Promise<void> {
    const rows = await this.db.any<{ carrier_id: string; premium_bps: number; decision: string }>(
      'select distinct on (carrier_id) carrier_id, premium_bps, decision from credit_assessments order by carrier_id, created_at desc');
    this.premiums = new Map(rows.map((row) => [row.carrier_id, row.premium_bps]));
    this.refusedBuyers = new Set(rows.filter((row) => row.decision === 'refused').map((row) => row.carrier_id));
  }

  /**
   * Reads again only these carriers' latest assessments (null: everyone's): an assessment of one
   * carrier, here or on another node, must not cost a read of every carrier's (a scheduled
   * reassessment of the whole membership would read them all once per carrier).
   */
  async refreshCarriers(carrier_ids: readonly string[] | null): Promise<void> {
    if (carrier_ids === null) return this.refresh();
    if (carrier_ids.length === 0) return;
    const rows = await this.db.any<{ carrier_id: string; premium_bps: number; decision: string }>(
      `select distinct on (carrier_id) carrier_id, premium_bps, decision from credit_assessments
       where carrier_id = any($1::uuid[]) order by carrier_id, created_at desc`, [carrier_ids]);
    const found = new Map(rows.map((row) => [row.carrier_id, row]));
    for (const carrier_id of carrier_ids) {
      const row = found.get(carrier_id);
      if (row === undefined) {
        this.premiums.delete(carrier_id);
        this.refusedBuyers.delete(carrier_id);
        continue;
      }
      this.premiums.set(carrier_id, row.premium_bps);
      if (row.decision === 'refused') this.refusedBuyers.add(carrier_id);
      else this.refusedBuyers.delete(carrier_id);
    }
  }

  start(every_ms: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.log.warn({ err: error }, 'refreshing risk premiums failed'));
    }, every_ms);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
