/**
 * Quality measured from the calls this node routes: each ended call becomes samples (see
 * core/quality/quality-sample.ts) recorded in the book at once, and per-minute rows written to
 * PostgreSQL in groups once a minute, off the call path (a failed write is logged and its rows
 * retried with the next group, never blocking a call).
 */
import { Subject, type Subscription } from 'rxjs';
import type { Logger } from '../../common/logger.ts';
import type { CallTracker } from '../calls/call-tracker.ts';
import { QualityBook } from '../core/quality/quality-book.ts';
import type { QualityStats } from '../core/quality/quality-counts.ts';
import { samplesOfCdr, type QualitySample, type Scope, type SampleOptions } from '../core/quality/quality-sample.ts';
import { measureQuality, MINUTE_MS, type MinuteRow } from '../core/quality/quality-stream.ts';
import type { QualityMinuteStore } from '../store/quality-minutes.ts';

/** Rows kept for a retry while PostgreSQL is failing, at most (the oldest are dropped past this). */
const MAX_PENDING_ROWS = 100_000;

export class QualityMonitor {
  readonly book = new QualityBook();
  private readonly samples = new Subject<QualitySample>();
  private readonly subscriptions: Subscription[] = [];
  private pending: MinuteRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private pruneTimer: NodeJS.Timeout | undefined;
  /** Calls measured since start (metrics). */
  measured = 0;

  constructor(
    calls: CallTracker,
    private readonly store: QualityMinuteStore,
    private readonly options: SampleOptions,
    private readonly log: Logger,
    flush_ms = MINUTE_MS,
    private readonly clock: () => number = Date.now,
  ) {
    this.subscriptions.push(measureQuality(this.samples, this.book, flush_ms).subscribe((rows) => this.write(rows)));
    this.subscriptions.push(calls.updates.subscribe((update) => {
      if (update.kind !== 'call_over') return;
      this.measured += 1;
      for (const sample of samplesOfCdr(update.cdr, this.clock(), this.options)) this.samples.next(sample);
    }));
    this.pruneTimer = setInterval(() => this.book.prune(this.clock()), MINUTE_MS);
  }

  /** The scope's figures, one per window (shortest first). */
  stats(scope: Scope): QualityStats[] {
    const now = this.clock();
    return this.book.windows.windows_ms.map((_window, index) => this.book.stats(scope, now, index));
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.samples.complete();
    await this.writing;
  }

  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void> {
    this.write([]);
    return this.writing;
  }

  private write(rows: MinuteRow[]): void {
    this.pending.push(...rows);
    if (this.pending.length > MAX_PENDING_ROWS) this.pending.splice(0, this.pending.length - MAX_PENDING_ROWS);
    this.writing = this.writing.then(async () => {
      const group = this.pending;
      if (group.length === 0) return;
      this.pending = [];
      try {
        await this.store.add(group);
      } catch (error) {
        this.pending.unshift(...group);
        this.log.warn({ err: error, rows: group.length }, 'writing quality minutes failed; retried with the next group');
      }
    });
  }
}
