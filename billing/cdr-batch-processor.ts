/**
 * The billing batch processor: rates and posts CDRs in groups, each group in one database
 * transaction. A written CDR nudges it (a short delay gathers a batch); a periodic sweep catches
 * anything a crash or a restart left unposted. One run at a time, so batches never contend. A CDR
 * that cannot be rated or posted is quarantined (see cdr-posting.ts) and the rest go on.
 */
import type { Db } from '../common/db/database.ts';
import type { Logger } from '../common/logger.ts';
import { postPendingCdrs, type ReservationSettler } from './cdr-posting.ts';
import type { LedgerStore } from './ledger-store.ts';

export interface BatchProcessorOptions {
  /** Most CDRs per database transaction. */
  readonly maxBatch: number;
  /** How long a nudge waits to gather more CDRs into one batch, in ms. */
  readonly gatherMs: number;
  /** Interval of the safety sweep, in ms. */
  readonly sweepMs: number;
}

export const DEFAULT_BATCH_OPTIONS: BatchProcessorOptions = { maxBatch: 5000, gatherMs: 100, sweepMs: 2000 };

export class CdrBatchProcessor {
  private running: Promise<void> | undefined;
  private again = false;
  private gatherTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  postedTotal = 0;
  /** CDRs set aside since start because they could not be rated or posted (metric). */
  quarantinedTotal = 0;

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerStore,
    private readonly options: BatchProcessorOptions,
    private readonly log: Logger,
    private readonly settler?: ReservationSettler,
  ) {}

  start(): void {
    this.sweepTimer = setInterval(() => this.nudge(), this.options.sweepMs);
    this.nudge();
  }

  /** A CDR was written: post it soon, together with whatever else arrives meanwhile. */
  onCdrWritten(): void {
    if (this.gatherTimer || this.stopped) return;
    this.gatherTimer = setTimeout(() => {
      this.gatherTimer = undefined;
      this.nudge();
    }, this.options.gatherMs);
  }

  /** Runs batches until nothing is pending; resolves when done (tests and shutdown await it). */
  async drain(): Promise<void> {
    this.nudge();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.gatherTimer);
    while (this.running) await this.running;
  }

  private nudge(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runUntilEmpty().finally(() => {
      this.running = undefined;
    });
  }

  private async runUntilEmpty(): Promise<void> {
    do {
      this.again = false;
      let results;
      try {
        results = await postPendingCdrs(this.db, this.ledger, this.options.maxBatch, this.settler);
      } catch (error) {
        this.log.error({ err: error }, 'CDR batch failed; it will be retried by the next sweep');
        return;
      }
      const posted = results.filter((result) => result.outcome === 'posted').length;
      const quarantined = results.filter((result) => result.outcome === 'quarantined');
      this.postedTotal += posted;
      this.quarantinedTotal += quarantined.length;
      if (quarantined.length > 0) this.log.error({ call_ids: quarantined.map((result) => result.call_id) }, 'CDRs quarantined: see GET /v1/cdrs?status=quarantined');
      if (results.length > 0) this.log.debug({ cdrs: results.length, posted }, 'CDR batch posted');
      if (results.length === this.options.maxBatch) this.again = true;
    } while (this.again && !this.stopped);
  }
}
