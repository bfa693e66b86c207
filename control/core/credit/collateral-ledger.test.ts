import { expect } from 'chai';
import { depositReceivedTransaction, depositReleasedTransaction } from './collateral-ledger.ts';

const ENTRY = { collateral_id: 'c0ffee', carrier_id: 'carrier-1', currency: 'USD', amount_micros: 50_000_000n, reference: 'wire 42' };

describe('the ledger transactions of a deposit', () => {
  it('debits the exchange clearing account and credits the carrier deposit account on receipt', () => {
    const draft = depositReceivedTransaction(ENTRY);
    expect(draft.idempotency_key).to.equal('collateral:c0ffee');
    expect(draft.postings).to.deep.equal([
      { account: { carrier_id: null, kind: 'clearing', currency: 'USD' }, amount_micros: 50_000_000n },
      { account: { carrier_id: 'carrier-1', kind: 'deposit', currency: 'USD' }, amount_micros: -50_000_000n },
    ]);
  });

  it('reverses both postings on release, under a key of its own', () => {
    const draft = depositReleasedTransaction(ENTRY);
    expect(draft.idempotency_key).to.equal('collateral-release:c0ffee');
    expect(draft.postings.map((posting) => posting.amount_micros)).to.deep.equal([-50_000_000n, 50_000_000n]);
  });

  it('refuses a deposit that is not positive', () => {
    expect(() => depositReceivedTransaction({ ...ENTRY, amount_micros: 0n })).to.throw(RangeError);
  });
});
