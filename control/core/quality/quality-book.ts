/**
 * Quality per scope over sliding windows (by default the last 5 minutes and the last hour), kept
 * in memory and updated as calls end. Each scope keeps time buckets (10 s by default) for the
 * longest window and one running total per window: a sample adds to the current bucket and to
 * every total; a bucket that ages out of a window is subtracted from that window's total. So a
 * reading is O(1) and a sample costs a few additions, whatever the call rate.
 *
 * A bucket counts in a window while any part of it is within the window: the windows slide by
 * whole buckets. Pure: time is passed in.
 */
import { addCounts, emptyCounts, statsOf, type QualityCounts, type QualityStats } from './quality-counts.ts';
import { parseScopeKey, scopeKey, type QualitySample, type Scope, type ScopeKind } from './quality-sample.ts';

export interface QualityWindows {
  /** Window lengths in ms, shortest first (each a whole number of buckets). */
  readonly windows_ms: readonly number[];
  readonly bucket_ms: number;
}

export const DEFAULT_WINDOWS: QualityWindows = { windows_ms: [300_000, 3_600_000], bucket_ms: 10_000 };

interface Bucket {
  readonly start_ms: number;
  readonly counts: QualityCounts;
}

interface ScopeState {
  readonly buckets: Bucket[];
  /** Per window: its running total, and the index of its oldest bucket in `buckets`. */
  readonly totals: QualityCounts[];
  readonly first: number[];
}

export class QualityBook {
  private readonly scopes = new Map<string, ScopeState>();

  constructor(readonly windows: QualityWindows = DEFAULT_WINDOWS) {
    if (windows.windows_ms.some((window, index) => window % windows.bucket_ms !== 0 || (index > 0 && window <= windows.windows_ms[index - 1]!))) {
      throw new Error('windows must be whole buckets, shortest first');
    }
  }

  get size(): number {
    return this.scopes.size;
  }

  record(sample: QualitySample): void {
    const key = scopeKey(sample.scope);
    let state = this.scopes.get(key);
    if (state === undefined) {
      state = { buckets: [], totals: this.windows.windows_ms.map(() => emptyCounts()), first: this.windows.windows_ms.map(() => 0) };
      this.scopes.set(key, state);
    }
    this.expire(state, sample.at_ms);
    const start_ms = sample.at_ms - (sample.at_ms % this.windows.bucket_ms);
    let bucket = state.buckets[state.buckets.length - 1];
    // A sample older than the newest bucket (events may arrive a little out of order) joins it.
    if (bucket === undefined || bucket.start_ms < start_ms) {
      bucket = { start_ms, counts: emptyCounts() };
      state.buckets.push(bucket);
    }
    addCounts(bucket.counts, sample.counts);
    for (const total of state.totals) addCounts(total, sample.counts);
  }

  /** The scope's figures over window `index` (0: the shortest) as of `now_ms`. */
  stats(scope: Scope, now_ms: number, index = 0): QualityStats {
    return statsOf(this.counts(scopeKey(scope), now_ms, index), this.windows.windows_ms[index]!);
  }

  counts(key: string, now_ms: number, index = 0): QualityCounts {
    const state = this.scopes.get(key);
    if (state === undefined) return emptyCounts();
    this.expire(state, now_ms);
    return state.totals[index]!;
  }

  /** Scopes with calls in the longest window, optionally of one kind. */
  *keys(now_ms: number, kind?: ScopeKind): Iterable<{ key: string; scope: Scope }> {
    for (const [key, state] of this.scopes) {
      this.expire(state, now_ms);
      if (state.buckets.length === 0) continue;
      const scope = parseScopeKey(key);
      if (kind === undefined || scope.kind === kind) yield { key, scope };
    }
  }

  /** Drops what every window has left behind, and scopes with nothing left. */
  prune(now_ms: number): void {
    for (const [key, state] of this.scopes) {
      this.expire(state, now_ms);
      if (state.buckets.length === 0) this.scopes.delete(key);
    }
  }

  private expire(state: ScopeState, now_ms: number): void {
    const { windows_ms, bucket_ms } = this.windows;
    windows_ms.forEach((window_ms, index) => {
      while (state.first[index]! < state.buckets.length && state.buckets[state.first[index]!]!.start_ms + bucket_ms <= now_ms - window_ms) {
        addCounts(state.totals[index]!, state.buckets[state.first[index]!]!.counts, -1);
        state.first[index]! += 1;
      }
    });
    // Buckets out of the longest window leave memory (every shorter window has let go of them too).
    const gone = state.first[windows_ms.length - 1]!;
    if (gone > 0) {
      state.buckets.splice(0, gone);
      for (let index = 0; index < state.first.length; index += 1) state.first[index] = Math.max(0, state.first[index]! - gone);
    }
  }
}
