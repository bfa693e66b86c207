import { expect } from 'chai';
import { assertBalanced } from './ledger.ts';
import { paymentTransaction } from './payment.ts';

describe('payments in the ledger', () => {
  it('moves a payment from the carrier receivable into the exchange cash, keyed by the event', () => {
    const draft = paymentTransaction('evt_1', 'carrier-1', 'USD', 33_000n, 'statement-1');
    expect(draft.idempotency_key).to.equal('payment:evt_1');
    expect(draft.postings).to.deep.equal([
      { account: { carrier_id: null, kind: 'cash', currency: 'USD' }, amount_micros: 33_000n },
      { account: { carrier_id: 'carrier-1', kind: 'receivable', currency: 'USD' }, amount_micros: -33_000n },
    ]);
    expect(() => assertBalanced(draft)).not.to.throw();
    expect(() => paymentTransaction('evt_2', 'carrier-1', 'USD', 0n, 'statement-1')).to.throw(RangeError);
  });
});
