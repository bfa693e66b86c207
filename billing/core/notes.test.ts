import { expect } from 'chai';
import { disputeCreditTransaction, noteAllocation, outstandingMicros, noteAccountMicros, noteFor, noteNumberText } from './notes.ts';

describe('credit and debit notes', () => {
  it('numbers each series on its own', () => {
    expect([noteNumberText('credit', 1n), noteNumberText('debit', 42n)]).to.deep.equal(['CN-000001', 'DN-000042']);
    expect(() => noteNumberText('credit', 0n)).to.throw(RangeError);
  });

  it('turns a change in what the carrier owes into the note it calls for', () => {
    expect(noteFor(-1_500n)).to.deep.equal({ kind: 'credit', amount_micros: 1_500n });
    expect(noteFor(700n)).to.deep.equal({ kind: 'debit', amount_micros: 700n });
    expect(noteFor(0n)).to.equal(null);
    expect([noteAccountMicros('credit', 5n), noteAccountMicros('debit', 5n)]).to.deep.equal([-5n, 5n]);
  });

  it('allocates a credit note against what the carrier still owes on its statement, like a payment', () => {
    // Owes 0.068400, paid 0.010000, already credited 0.008400: 0.050000 left.
    const statement = { open: true, balance_micros: 68_400n, paid_micros: 10_000n, credited_micros: 8_400n, debited_micros: 0n };
    expect(outstandingMicros(statement)).to.equal(50_000n);
    expect(noteAllocation(statement, 'credit', 20_000n)).to.deep.equal({ allocated_micros: 20_000n, settles: true });
    expect(noteAllocation(statement, 'credit', 80_000n)).to.deep.equal({ allocated_micros: 50_000n, settles: true });
    // A debit note adds to what it owes, in full.
    expect(noteAllocation(statement, 'debit', 7_000n)).to.deep.equal({ allocated_micros: 7_000n, settles: false });
    expect(noteAllocation({ ...statement, open: false }, 'credit', 1_000n), 'a settled statement takes no notes').to.deep.equal({ allocated_micros: 0n, settles: false });
  });

  it('allocates notes on a statement where the exchange owes the carrier the other way round', () => {
    // The exchange owes 0.072000, 0.002000 already paid out: 0.070000 left to pay.
    const seller = { open: true, balance_micros: -72_000n, paid_micros: 2_000n, credited_micros: 0n, debited_micros: 0n };
    expect(outstandingMicros(seller)).to.equal(-70_000n);
    expect(noteAllocation(seller, 'debit', 12_000n)).to.deep.equal({ allocated_micros: 12_000n, settles: true });
    expect(noteAllocation(seller, 'debit', 90_000n)).to.deep.equal({ allocated_micros: 70_000n, settles: true });
    expect(noteAllocation(seller, 'credit', 5_000n)).to.deep.equal({ allocated_micros: 5_000n, settles: false });
    expect(outstandingMicros({ ...seller, debited_micros: 12_000n })).to.equal(-58_000n);
  });

  it('posts an accepted dispute\'s credit note against the exchange\'s revenue, balanced', () => {
    const bought = disputeCreditTransaction({ dispute_id: 'd1', carrier_id: 'a', currency: 'USD', section: 'bought', amount_micros: 1_200n });
    expect(bought.postings.map((one) => [one.account.carrier_id, one.account.kind, one.amount_micros])).to.deep.equal([['a', 'receivable', -1_200n], [null, 'revenue', 1_200n]]);
    const sold = disputeCreditTransaction({ dispute_id: 'd2', carrier_id: 'b', currency: 'USD', section: 'sold', amount_micros: 900n });
    expect(sold.postings.map((one) => [one.account.kind, one.amount_micros])).to.deep.equal([['payable', -900n], ['revenue', 900n]]);
  });
});
