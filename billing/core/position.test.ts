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
});
