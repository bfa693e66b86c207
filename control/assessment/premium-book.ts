/**
 * Each buyer's risk premium (basis points, from its latest credit assessment), held in memory so
 * that the call path prices it without a database trip. Refreshed from PostgreSQL periodically
 * (so assessments made by other nodes reach this one within a period) and at once after an
 * assessment on this node.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';

export class PremiumBook {
  private premiums = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly log: Logger) {}

  of(buyer_id: string): number {
    return this.premiums.get(buyer_id) ?? 0;
  }

  async refresh(): Promise<void> {
    const rows = await this.db.any<{ carrier_id: string; premium_bps: number }>(
      'select distinct on (carrier_id) carrier_id, premium_bps from credit_assessments order by carrier_id, created_at desc');
    this.premiums = new Map(rows.map((row) => [row.carrier_id, row.premium_bps]));
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
