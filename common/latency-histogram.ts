/**
 * Latencies in an HDR histogram (hdr-histogram-js): recording is O(1) and memory is bounded
 * whatever the number of samples, and every percentile read back is within 0.1% of the recorded
 * value (3 significant digits), so a benchmark of millions of calls neither keeps nor sorts them.
 * Values are kept in whole nanoseconds and read back in ms or µs, rounded to 0.01.
 * (What /metrics exports is prom-client's Histogram, in control/noc/metrics.ts; this one is for
 * percentiles read in process: the switch agent's decision time and the benchmarks.)
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/** 3 significant digits: a value read back is within 0.1% of what was recorded. */
const SIGNIFICANT_DIGITS = 3;

export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export class LatencyHistogram {
  private constructor(private readonly histogram: Histogram) {}

  static create(): LatencyHistogram {
    // Auto-resizing: the range grows with the largest value seen, so a stalled request of minutes is kept, not thrown.
    return new LatencyHistogram(build({ bitBucketSize: 'packed', numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: true }));
  }

  /** A histogram sent from another process as `encode()` made it. */
  static decode(encoded: string): LatencyHistogram {
    const histogram = decodeFromCompressedBase64(encoded, 'packed', false);
    histogram.autoResize = true; // decoding does not carry it over; without it, adding a wider histogram throws
    return new LatencyHistogram(histogram);
  }

  /** A duration in nanoseconds (a difference of `process.hrtime.bigint()` readings, for example). */
  recordNs(duration_ns: number | bigint): void {
    this.histogram.recordValue(Math.max(0, Math.round(Number(duration_ns))));
  }

  recordUs(duration_us: number): void {
    this.recordNs(duration_us * 1_000);
  }

  recordMs(duration_ms: number): void {
    this.recordNs(duration_ms * 1_000_000);
  }

  /** Adds every value recorded in `other` (a worker's histogram into the total, for example). */
  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  reset(): void {
    this.histogram.reset();
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Compressed and base64-encoded, to send to another process. */
  encode(): string {
    return encodeIntoCompressedBase64(this.histogram);
  }

  /** The p-th percentile (0..100) in ns; at 100 the largest value recorded here (exact; within 0.1% when added from another histogram); null when empty. */
  percentileNs(p: number): number | null {
    if (this.count === 0) return null;
    // A percentile reads its bucket's highest value: capped at the max, so p99 never shows above it.
    const max = this.histogram.maxValue;
    return p >= 100 ? max : Math.min(this.histogram.getValueAtPercentile(p), max);
  }

  percentileUs(p: number): number | null {
    const ns = this.percentileNs(p);
    return ns === null ? null : round2(ns / 1_000);
  }

  percentileMs(p: number): number | null {
    const ns = this.percentileNs(p);
    return ns === null ? null : round2(ns / 1_000_000);
  }

  /** p50, p90, p99 and max in ms (or µs), as the benchmarks report them. */
  summaryMs(): LatencySummary {
    return { count: this.count, p50: this.percentileMs(50), p90: this.percentileMs(90), p99: this.percentileMs(99), max: this.percentileMs(100) };
  }

  summaryUs(): LatencySummary {
    return { count: this.count, p50: this.percentileUs(50), p90: this.percentileUs(90), p99: this.percentileUs(99), max: this.percentileUs(100) };
  }
}
