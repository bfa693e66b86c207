import { expect } from 'chai';
import { assertBalanced } from './ledger.ts';
import { billedMinutesText, nettingTransaction, statementTotals, type StatementLine } from './statement.ts';

function line(section: 'bought' | 'sold', amount_micros: bigint, fee_micros = 0n, adjustment = false): StatementLine {
  return { section, destination_id: null, destination_name: 'UK Mobile', adjustment, calls: 1, billed_s: 60n, amount_micros, fee_micros };
}

describe('statement figures', () => {
  it('bills a pure buyer what it bought plus the fees', () => {
    // 12.000000 + 3.500000 bought, 0.600000 + 0.150000 fees: 16.250000 due.
    const totals = statementTotals([line('bought', 12_000_000n, 600_000n), line('bought', 3_500_000n, 150_000n, true)], 0n);
    expect(totals).to.deep.equal({
      bought_micros: 15_500_000n, fees_micros: 750_000n, sold_micros: 0n, netting_micros: 0n,
      balance_micros: 16_250_000n, amount_due_micros: 16_250_000n, amount_payable_micros: 0n,
    });
  });

  it('pays a pure seller what it sold', () => {
    const totals = statementTotals([line('sold', 7_000_001n)], 0n);
    expect(totals.balance_micros).to.equal(-7_000_001n);
    expect(totals.amount_payable_micros).to.equal(7_000_001n);
    expect(totals.amount_due_micros).to.equal(0n);
    expect(totals.netting_micros).to.equal(0n);
  });

  it('nets a carrier that buys and sells: only the difference changes hands', () => {
    // Owes 10.000000 + 0.500000 = 10.500000, is owed 4.200000: 4.200000 offset, 6.300000 due.
    const totals = statementTotals([line('bought', 10_000_000n, 500_000n), line('sold', 4_200_000n)], 0n);
    expect(totals.netting_micros).to.equal(4_200_000n);
    expect(totals.amount_due_micros).to.equal(6_300_000n);
    expect(totals.amount_payable_micros).to.equal(0n);
    // The other way round: owes 2.000000, is owed 5.000000: 2.000000 offset, 3.000000 payable.
    const seller = statementTotals([line('bought', 2_000_000n), line('sold', 5_000_000n)], 0n);
    expect(seller.netting_micros).to.equal(2_000_000n);
    expect(seller.amount_payable_micros).to.equal(3_000_000n);
  });

  it('offsets nothing below the netting minimum', () => {
    const lines = [line('bought', 10_000_000n), line('sold', 4_200_000n)];
    expect(statementTotals(lines, 4_200_001n).netting_micros).to.equal(0n);
    expect(statementTotals(lines, 4_200_000n).netting_micros).to.equal(4_200_000n);
    // Netting moves only the ledger, never the balance.
    expect(statementTotals(lines, 4_200_001n).balance_micros).to.equal(5_800_000n);
  });

  it('refuses lines that break the rules', () => {
    expect(() => statementTotals([line('sold', 1n, 1n)], 0n)).to.throw(RangeError);
    expect(() => statementTotals([line('bought', -1n)], 0n)).to.throw(RangeError);
  });

  it('posts netting as a balanced transaction within the carrier', () => {
    const draft = nettingTransaction('s-1', 'carrier-1', 'USD', 4_200_000n)!;
    expect(draft.idempotency_key).to.equal('netting:s-1');
    expect(draft.postings).to.deep.equal([
      { account: { carrier_id: 'carrier-1', kind: 'payable', currency: 'USD' }, amount_micros: 4_200_000n },
      { account: { carrier_id: 'carrier-1', kind: 'receivable', currency: 'USD' }, amount_micros: -4_200_000n },
    ]);
    expect(() => assertBalanced(draft)).not.to.throw();
    expect(nettingTransaction('s-1', 'carrier-1', 'USD', 0n)).to.equal(null);
  });

  it('shows billed minutes with two decimals', () => {
    expect(billedMinutesText(90n)).to.equal('1.50');
    expect(billedMinutesText(0n)).to.equal('0.00');
    // 61 s = 1.01666… minutes → 1.02; 3601 s = 60.01666… → 60.02.
    expect(billedMinutesText(61n)).to.equal('1.02');
    expect(billedMinutesText(3601n)).to.equal('60.02');
    // 1 s = 0.01666… → 0.02; 0.3 s would be 0.005 but seconds are whole.
    expect(billedMinutesText(1n)).to.equal('0.02');
  });
});
