import { expect } from 'chai';
import { LatencyHistogram } from './latency-histogram.ts';

/** Within 0.1% (3 significant digits) of the exact value, as HDR promises. */
function near(actual: number | null, exact: number): void {
  expect(actual).to.not.equal(null);
  expect(Math.abs(actual! - exact) / exact).to.be.at.most(0.001 + 0.01 / exact);
}

describe('LatencyHistogram', () => {
  it('gives p50, p90, p99 within 0.1% and the max exact', () => {
    const histogram = LatencyHistogram.create();
    // 1..10,000 ms in a scrambled order: nearest-rank p50 = 5,000, p90 = 9,000, p99 = 9,900.
    for (let index = 0; index < 10_000; index += 1) histogram.recordMs(((index * 7_919) % 10_000) + 1);
    const summary = histogram.summaryMs();
    expect(summary.count).to.equal(10_000);
    near(summary.p50, 5_000);
    near(summary.p90, 9_000);
    near(summary.p99, 9_900);
    expect(summary.max).to.equal(10_000);
  });

  it('keeps sub-millisecond values (µs and ns resolution) and rounds to 0.01', () => {
    const histogram = LatencyHistogram.create();
    histogram.recordNs(350_000n);
    histogram.recordUs(1.5);
    expect(histogram.percentileMs(100)).to.equal(0.35);
    expect(histogram.percentileUs(1)).to.equal(1.5);
  });

  it('keeps a value far beyond the others (it resizes, it does not throw)', () => {
    const histogram = LatencyHistogram.create();
    histogram.recordMs(1);
    histogram.recordMs(3_600_000);
    expect(histogram.percentileMs(100)).to.equal(3_600_000);
  });

  it('never shows a percentile above the max', () => {
    const histogram = LatencyHistogram.create();
    for (let index = 0; index < 50; index += 1) histogram.recordMs(10 + index / 100);
    histogram.recordMs(67.43);
    expect(histogram.percentileMs(99)).to.be.at.most(histogram.percentileMs(100)!);
    expect(histogram.percentileMs(100)).to.equal(67.43);
  });

  it('answers null when empty, and after a reset', () => {
    const histogram = LatencyHistogram.create();
    expect(histogram.summaryMs()).to.deep.equal({ count: 0, p50: null, p90: null, p99: null, max: null });
    histogram.recordMs(5);
    histogram.reset();
    expect(histogram.percentileMs(50)).to.equal(null);
  });

  it('travels encoded between processes and adds up', () => {
    const first = LatencyHistogram.create();
    const second = LatencyHistogram.create();
    for (let ms = 1; ms <= 100; ms += 1) first.recordMs(ms);
    for (let ms = 101; ms <= 200; ms += 1) second.recordMs(ms);
    const total = LatencyHistogram.decode(first.encode());
    total.add(LatencyHistogram.decode(second.encode()));
    expect(total.count).to.equal(200);
    near(total.percentileMs(50), 100);
    near(total.percentileMs(100), 200); // added values are their buckets', so within 0.1% too
  });
});
