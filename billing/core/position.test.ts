import { expect } from 'chai';
import { carrierPosition } from './position.ts';

describe('net position', () => {
  it('reads the ledger from the carrier side and splits what is billed and past due', () => {
    const position = carrierPosition({
      currency: 'USD',
      // The carrier owes 25.000000 as a buyer and is owed 9.500000 as a seller.
      receivable_account_micros: 25_000_000n,
      payable_account_micros: -9_500_000n,
      unbilled_sold_micros: 1_500_000n,
      unbilled_bought_micros: 4_000_000n,
      open_statements: [
        // Due yesterday, 2.000000 of 12.000000 paid: 10.000000 past due.
        { balance_micros: 12_000_000n, paid_micros: 2_000_000n, due_date: '2026-11-29' },
        // Due today: billed, not yet past due.
        { balance_micros: 9_000_000n, paid_micros: 0n, due_date: '2026-11-30' },
        // Owed to the carrier: not something it has to pay.
        { balance_micros: -3_000_000n, paid_micros: 0n, due_date: '2026-11-01' },
      ],
      today: '2026-11-30',
    });
    expect(position).to.deep.equal({
      currency: 'USD',
      receivable_micros: 9_500_000n,
      payable_micros: 25_000_000n,
      net_micros: -15_500_000n,
      unbilled_receivable_micros: 1_500_000n,
      unbilled_payable_micros: 4_000_000n,
      unbilled_net_micros: -2_500_000n,
      billed_unpaid_micros: 19_000_000n,
      past_due_micros: 10_000_000n,
      credit_notes_micros: 0n,
      debit_notes_micros: 0n,
      aging: { current_micros: 9_000_000n, days_1_15_micros: 10_000_000n, days_16_30_micros: 0n, days_31_60_micros: 0n, over_60_micros: 0n },
    });
  });

  it('is all zero for a carrier with no activity', () => {
    const position = carrierPosition({
      currency: 'EUR', receivable_account_micros: 0n, payable_account_micros: 0n,
      unbilled_sold_micros: 0n, unbilled_bought_micros: 0n, open_statements: [], today: '2026-11-30',
    });
    expect(position.net_micros).to.equal(0n);
    expect(position.billed_unpaid_micros).to.equal(0n);
    expect(position.past_due_micros).to.equal(0n);
  });

  it('ages what is unpaid by days past due', () => {
    const due = (due_date: string) => ({ balance_micros: 1_000_000n, paid_micros: 0n, due_date });
    const position = carrierPosition({
      currency: 'USD', receivable_account_micros: 5_000_000n, payable_account_micros: 0n, unbilled_sold_micros: 0n, unbilled_bought_micros: 0n,
      // Today is 30 November: 15, 16, 30, 31, 60 and 61 days past due.
      open_statements: [due('2026-11-15'), due('2026-11-14'), due('2026-10-31'), due('2026-10-30'), due('2026-10-01'), due('2026-09-30')],
      today: '2026-11-30',
    });
    expect(position.aging).to.deep.equal({
      current_micros: 0n, days_1_15_micros: 1_000_000n, days_16_30_micros: 2_000_000n, days_31_60_micros: 2_000_000n, over_60_micros: 1_000_000n,
    });
    expect(position.past_due_micros).to.equal(6_000_000n);
  });

  it('counts what credit notes settled of a statement as paid, and shows the notes issued', () => {
    const position = carrierPosition({
      currency: 'USD', receivable_account_micros: 7_000_000n, payable_account_micros: 0n, unbilled_sold_micros: 0n, unbilled_bought_micros: 0n,
      // 10.000000 due yesterday, 2.000000 paid, 1.000000 settled by a credit note: 7.000000 past due.
      open_statements: [{ balance_micros: 10_000_000n, paid_micros: 2_000_000n, credited_micros: 1_000_000n, due_date: '2026-11-29' }],
      credit_notes_micros: 1_000_000n, debit_notes_micros: 500_000n, today: '2026-11-30',
    });
    expect(position).to.deep.include({ billed_unpaid_micros: 7_000_000n, past_due_micros: 7_000_000n, credit_notes_micros: 1_000_000n, debit_notes_micros: 500_000n });
  });
});
