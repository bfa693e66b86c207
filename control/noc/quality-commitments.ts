/**
 * Sellers held to the quality their sell orders committed to. A seller measured below its
 * commitment on a trade's destination (over the hour, with enough attempts) for longer than
 * `flag_after_ms` gets the trade flagged for the operator (trade_quality_flags, audited), and
 * suspended from routing when the setting says so (a routing control an operator lifts). A flag
 * clears by itself once the seller is back at its commitment; a suspension stays until lifted.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { brokenFloors, judgedStats } from '../core/quality/quality-routing.ts';
import { audit } from '../store/audit.ts';
import type { QualityMonitor } from './quality-monitor.ts';
import type { RoutingControls } from './routing-controls.ts';
import type { TradeTermsCache } from './trade-terms.ts';

const ACTOR = 'quality';

export class QualityCommitments {
  private readonly belowSince = new Map<string, number>();
  private readonly flagged = new Set<string>();
  /** Trades flagged since start (metrics). */
  flags = 0;

  constructor(
    private readonly db: Db,
    private readonly quality: QualityMonitor,
    private readonly terms: TradeTermsCache,
    private readonly controls: RoutingControls,
    private readonly settings: { readonly flag_after_ms: number; readonly min_attempts: number; readonly suspend: boolean },
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async check(): Promise<void> {
    const now = this.clock();
    for (const trade of this.terms.all()) {
      if (trade.committed === undefined) continue;
      const windows = this.quality.stats({ kind: 'seller_destination', id: trade.seller_id, destination_id: trade.destination_id });
      // Judged over the longest window: a commitment is about sustained quality, not a bad minute.
      const stats = judgedStats(windows.slice(-1), this.settings.min_attempts);
      const broken = stats === undefined ? [] : brokenFloors(stats, trade.committed);
      if (broken.length === 0) {
        this.belowSince.delete(trade.trade_id);
        if (this.flagged.delete(trade.trade_id)) {
          await this.db.none('update trade_quality_flags set cleared_at = now() where trade_id = $1 and cleared_at is null', [trade.trade_id]);
        }
        continue;
      }
      const since = this.belowSince.get(trade.trade_id) ?? now;
      this.belowSince.set(trade.trade_id, since);
      if (now - since < this.settings.flag_after_ms || this.flagged.has(trade.trade_id)) continue;
      this.flagged.add(trade.trade_id);
      const measured = { asr: stats!.asr, acd_s: stats!.acd_s, pdd_ms: stats!.pdd_ms, attempts: stats!.attempts };
      const inserted = await this.db.tx(async (t) => {
        const row = await t.oneOrNone<{ id: string }>(
          `insert into trade_quality_flags (trade_id, seller_id, destination_id, broken, measured, committed, below_since, suspended)
           values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8) on conflict (trade_id) where cleared_at is null do nothing returning id::text`,
          [trade.trade_id, trade.seller_id, trade.destination_id, broken, JSON.stringify(measured), JSON.stringify(trade.committed), new Date(since), this.settings.suspend]);
        if (row) await audit(t, ACTOR, 'trade.quality_flagged', `trade:${trade.trade_id}`, { broken, measured, committed: trade.committed, suspended: this.settings.suspend });
        return row;
      });
      if (!inserted) continue;
      this.flags += 1;
      this.log.warn({ trade_id: trade.trade_id, seller_id: trade.seller_id, broken, measured }, 'seller below its committed quality: trade flagged');
      if (this.settings.suspend) {
        await this.controls.add({ kind: 'trade_suspended', trade_id: trade.trade_id, reason: `below committed quality (${broken.join(', ')})`, source: ACTOR }, ACTOR);
      }
    }
  }
}
