import { expect } from 'chai';
import { assertBalanced } from './ledger.ts';
import { paymentTransaction, payoutTransaction } from './payment.ts';

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

  it('moves a payout from the exchange cash into the carrier payable, keyed by the event', () => {
    const draft = payoutTransaction('evt_9', 'carrier-2', 'USD', 24_000n, 'statement-2');
    expect(draft.idempotency_key).to.equal('payout:evt_9');
    expect(draft.postings).to.deep.equal([
      { account: { carrier_id: null, kind: 'cash', currency: 'USD' }, amount_micros: -24_000n },
      { account: { carrier_id: 'carrier-2', kind: 'payable', currency: 'USD' }, amount_micros: 24_000n },
    ]);
    expect(() => assertBalanced(draft)).not.to.throw();
  });
});
