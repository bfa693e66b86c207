/**
 * The rxjs side of quality: samples flow into the book as they come, and are folded into
 * per-minute rows (one per scope and calendar minute) that leave in groups every `flush_ms`, to be
 * written to PostgreSQL off the call path. A group may hold two calendar minutes (the flush does
 * not wait for the minute's end): the store adds rows of the same minute and scope together.
 * The scheduler is a parameter so tests run it in virtual time.
 */
import { bufferTime, filter, map, tap, type Observable, type SchedulerLike } from 'rxjs';
import { asyncScheduler } from 'rxjs';
import { addCounts, emptyCounts, type QualityCounts } from './quality-counts.ts';
import type { QualityBook } from './quality-book.ts';
import { scopeKey, type QualitySample, type Scope } from './quality-sample.ts';

export const MINUTE_MS = 60_000;

export interface MinuteRow {
  /** Start of the calendar minute, epoch ms. */
  readonly minute_ms: number;
  readonly scope: Scope;
  readonly counts: QualityCounts;
}

/** Folds samples into one row per (minute, scope). */
export function minuteRows(samples: readonly QualitySample[]): MinuteRow[] {
  const rows = new Map<string, MinuteRow>();
  for (const sample of samples) {
    const minute_ms = sample.at_ms - (sample.at_ms % MINUTE_MS);
    const key = `${minute_ms}|${scopeKey(sample.scope)}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { minute_ms, scope: sample.scope, counts: emptyCounts() };
      rows.set(key, row);
    }
    addCounts(row.counts, sample.counts);
  }
  return [...rows.values()];
}

/** Records every sample in the book, and emits the per-minute rows every `flush_ms` (none when idle). */
export function measureQuality(
  samples: Observable<QualitySample>,
  book: QualityBook,
  flush_ms = MINUTE_MS,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<MinuteRow[]> {
  return samples.pipe(
    tap((sample) => book.record(sample)),
    bufferTime(flush_ms, scheduler),
    filter((group) => group.length > 0),
    map(minuteRows),
  );
}
