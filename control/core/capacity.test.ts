import { expect } from 'chai';
import { CallRateLimiter, hasFreeChannel } from './capacity.ts';

describe('capacity', () => {
  it('has a free channel strictly below the limit', () => {
    const counts = new Map([['trunk', 2]]);
    expect(hasFreeChannel(counts, 'trunk', 3)).to.equal(true);
    expect(hasFreeChannel(counts, 'trunk', 2)).to.equal(false);
    expect(hasFreeChannel(counts, 'other', 1)).to.equal(true);
  });

  it('accepts at most cps setups in any one-second window', () => {
    const limiter = new CallRateLimiter();
    expect([0, 100, 200].map((t) => limiter.tryAcquire('trunk', 3, t))).to.deep.equal([true, true, true]);
    expect(limiter.tryAcquire('trunk', 3, 999)).to.equal(false);
    // At 1000 ms the setup made at 0 ms has left the window.
    expect(limiter.tryAcquire('trunk', 3, 1000)).to.equal(true);
    expect(limiter.tryAcquire('trunk', 3, 1050)).to.equal(false);
    expect(limiter.tryAcquire('another', 3, 1050)).to.equal(true);
  });

  it('does not count a refused setup against the window', () => {
    const limiter = new CallRateLimiter();
    expect(limiter.tryAcquire('trunk', 1, 0)).to.equal(true);
    expect(limiter.tryAcquire('trunk', 1, 500)).to.equal(false);
    expect(limiter.tryAcquire('trunk', 1, 1000)).to.equal(true);
  });
});
