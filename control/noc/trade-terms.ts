/**
 * The quality terms of live trades, in memory: the floors the buyer's order asks for (judged in
 * routing) and the quality the seller's order committed to (watched for flags). Loaded whole at
 * start, again shortly after trades change here, and every `reload_ms` for other nodes' trades.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import type { QualityFloor } from '../core/quality/quality-routing.ts';

export interface TradeTerms {
  readonly trade_id: string;
  readonly buyer_id: string;
  readonly seller_id: string;
  readonly destination_id: string;
  readonly floor: QualityFloor | undefined;
  readonly committed: QualityFloor | undefined;
}

interface Row {
  trade_id: string; buyer_id: string; seller_id: string; destination_id: string;
  buy_asr: number | null; buy_acd: number | null; buy_pdd: number | null;
  sell_asr: number | null; sell_acd: number | null; sell_pdd: number | null;
}

const quality = (asr: number | null, acd: number | null, pdd: number | null): QualityFloor | undefined =>
  asr === null || acd === null || pdd === null ? undefined : { asr_percent: asr, acd_s: acd, pdd_ms: pdd };

export class TradeTermsCache {
  private terms = new Map<string, TradeTerms>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly log: Logger) {}

  get(trade_id: string): TradeTerms | undefined {
    return this.terms.get(trade_id);
  }

  all(): Iterable<TradeTerms> {
    return this.terms.values();
  }

  async reload(): Promise<void> {
    const rows = await this.db.any<Row>(
      `select t.id as trade_id, t.buyer_id, t.seller_id, t.destination_id,
              b.quality_asr_percent as buy_asr, b.quality_acd_s as buy_acd, b.quality_pdd_ms as buy_pdd,
              s.quality_asr_percent as sell_asr, s.quality_acd_s as sell_acd, s.quality_pdd_ms as sell_pdd
       from trades t join orders b on b.id = t.buy_order_id join orders s on s.id = t.sell_order_id where t.status = 'live'`,
    );
    this.terms = new Map(rows.map((row) => [row.trade_id, {
      trade_id: row.trade_id, buyer_id: row.buyer_id, seller_id: row.seller_id, destination_id: row.destination_id,
      floor: quality(row.buy_asr, row.buy_acd, row.buy_pdd), committed: quality(row.sell_asr, row.sell_acd, row.sell_pdd),
    }]));
  }

  start(reload_ms: number): void {
    this.timer = setInterval(() => this.reloadLogged(), reload_ms);
  }

  /** Trades changed here: read again shortly (one read for a burst of trades). */
  changed(): void {
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      this.reloadLogged();
    }, 200);
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  private reloadLogged(): void {
    this.reload().catch((error: unknown) => this.log.warn({ err: error }, 'reading trades\' quality terms failed'));
  }
}
