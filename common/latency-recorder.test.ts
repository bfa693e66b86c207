import { expect } from 'chai';
import { LatencyRecorder } from './latency-recorder.ts';

describe('LatencyRecorder', () => {
  it('gives nearest-rank percentiles', () => {
    const recorder = new LatencyRecorder(1000);
    for (let latency = 1; latency <= 100; latency += 1) recorder.record(latency);
    expect(recorder.percentile(50)).to.equal(50);
    expect(recorder.percentile(99)).to.equal(99);
    expect(recorder.percentile(100)).to.equal(100);
  });

  it('keeps only the most recent samples', () => {
    const recorder = new LatencyRecorder(3);
    for (const latency of [1000, 1, 2, 3]) recorder.record(latency);
    expect(recorder.size).to.equal(3);
    expect(recorder.percentile(100)).to.equal(3);
  });
});
