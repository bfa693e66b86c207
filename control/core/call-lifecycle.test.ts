import { expect } from 'chai';
import { nextCallState } from './call-lifecycle.ts';

describe('call lifecycle', () => {
  it('follows offered → routing → ringing → answered → ended', () => {
    expect(nextCallState('offered', 'routed')).to.equal('routing');
    expect(nextCallState('routing', 'ringing')).to.equal('ringing');
    expect(nextCallState('ringing', 'answered')).to.equal('answered');
    expect(nextCallState('answered', 'hung_up')).to.equal('ended');
  });

  it('ends a call that is rejected, fails while ringing, or fails before any ring', () => {
    expect(nextCallState('offered', 'rejected')).to.equal('ended');
    expect(nextCallState('ringing', 'failed')).to.equal('ended');
    expect(nextCallState('routing', 'failed')).to.equal('ended');
  });

  it('refuses moves that would rewind or skip: a late ring, a second answer, a hang-up before answer', () => {
    expect(nextCallState('answered', 'ringing')).to.equal(undefined);
    expect(nextCallState('answered', 'answered')).to.equal(undefined);
    expect(nextCallState('routing', 'hung_up')).to.equal(undefined);
    expect(nextCallState('ended', 'hung_up')).to.equal(undefined);
    expect(nextCallState('answered', 'failed')).to.equal(undefined);
  });
});
