import { expect } from 'chai';
import { planRerating, reratingFeeTransaction, reratingNoteTransaction, type BilledCall } from './rerating.ts';

// Billed at 0.012000/min, 60/60, fee 0.000600/min: 90 s bills 120 s, the seller 0.024000, the fee 0.001200, the buyer 0.025200.
const call = (call_id: string, duration_ms: bigint, seller: bigint, fee: bigint): BilledCall => ({
  call_id, buyer_id: 'A', seller_id: 'B', duration_ms, fee_per_minute_micros: 600n, destination_id: 'd', destination_name: 'Testland Mobile',
  buyer_statement_id: 'SA', seller_statement_id: 'SB', buyer_amount_micros: seller + fee, seller_amount_micros: seller, fee_amount_micros: fee,
});
const calls = [call('c1', 90_000n, 24_000n, 1_200n), call('c2', 30_000n, 12_000n, 600n)];

describe('re-rating', () => {
  it('credits the over-charged buyer and debits the over-paid seller, to the micro-unit', () => {
    // Corrected to 0.010000/min: c1 0.020000 (was 0.024000), c2 0.010000 (was 0.012000): 0.006000 less; fees unchanged.
    const plan = planRerating(calls, { price_per_minute_micros: 10_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    expect(plan.corrected.map((one) => [one.call_id, one.rated.buyer_amount_micros])).to.deep.equal([['c1', 21_200n], ['c2', 10_600n]]);
    expect(plan.notes.map((note) => [note.kind, note.carrier_id, note.section, note.statement_id, note.amount_micros])).to.deep.equal([
      ['credit', 'A', 'bought', 'SA', 6_000n], ['debit', 'B', 'sold', 'SB', 6_000n],
    ]);
    expect(plan.notes[0]!.lines).to.deep.equal([{ destination_id: 'd', destination_name: 'Testland Mobile', calls: 2, billed_s: 180, balance_change_micros: -6_000n }]);
    expect(plan.fee_change_micros).to.equal(0n);
    const buyer = reratingNoteTransaction('x', 0, plan.notes[0]!, 'USD');
    const seller = reratingNoteTransaction('x', 1, plan.notes[1]!, 'USD');
    // Clearing nets to zero over the correction.
    expect([...buyer.postings, ...seller.postings].filter((one) => one.account.kind === 'clearing').reduce((sum, one) => sum + one.amount_micros, 0n)).to.equal(0n);
    expect(buyer.postings[0]).to.deep.equal({ account: { carrier_id: 'A', kind: 'receivable', currency: 'USD' }, amount_micros: -6_000n });
    expect(seller.postings[0]).to.deep.equal({ account: { carrier_id: 'B', kind: 'payable', currency: 'USD' }, amount_micros: 6_000n });
  });

  it('rates again with the corrected increments, moving the fee too, and issues nothing when nothing changes', () => {
    // 1/1 at the same price: c1 bills 90 s (0.018000, fee 0.000900), c2 30 s (0.006000, fee 0.000300).
    const plan = planRerating(calls, { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n });
    expect(plan.notes.map((note) => [note.kind, note.carrier_id, note.amount_micros])).to.deep.equal([['credit', 'A', 12_600n], ['debit', 'B', 12_000n]]);
    expect(plan.fee_change_micros).to.equal(-600n);
    expect(reratingFeeTransaction('x', plan.fee_change_micros, 'USD')!.postings.map((one) => [one.account.kind, one.amount_micros])).to.deep.equal([['revenue', 600n], ['clearing', -600n]]);
    const same = planRerating(calls, { price_per_minute_micros: 12_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    expect(same).to.deep.equal({ corrected: [], notes: [], fee_change_micros: 0n });
  });
});
