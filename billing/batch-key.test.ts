import { expect } from 'chai';
import { batchKey } from './cdr-posting.ts';

describe('batchKey', () => {
  it('keys a batch by its set of Call-IDs, whatever their order', () => {
    expect(batchKey(['c2@x', 'c1@x'])).to.equal(batchKey(['c1@x', 'c2@x']));
    expect(batchKey(['c1@x', 'c2@x'])).to.match(/^[0-9a-f]{64}$/);
    expect(batchKey(['c1@x', 'c3@x'])).not.to.equal(batchKey(['c1@x', 'c2@x']));
    // Call-IDs are joined with a separator they cannot hold, so two sets never run together.
    expect(batchKey(['a', 'bc'])).not.to.equal(batchKey(['ab', 'c']));
  });
});
