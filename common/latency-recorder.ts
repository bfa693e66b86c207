/**
 * A bounded record of recent latencies (a ring buffer), for percentiles in benchmarks and the
 * operator's view. Microseconds, whole numbers.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(private readonly capacity = 200_000) {
    this.samples = new Float64Array(capacity);
  }

  record(latency_us: number): void {
    this.samples[this.next] = latency_us;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
  }

  reset(): void {
    this.count = 0;
    this.next = 0;
  }

  get size(): number {
    return this.count;
  }

  /** The p-th percentile (0..100) of what is recorded, nearest-rank; undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const sorted = Array.from(this.samples.subarray(0, this.count)).sort((a, b) => a - b);
    const rank = Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1));
    return sorted[rank];
  }
}
