import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { StatementWithLines } from '../../../billing/settlement/statement-store.ts';
import { readPdf } from '../../../test/support/pdf.ts';
import { statementPdf } from './statement-pdf.ts';
import { statementCsv, statementView } from './statements.ts';

const STATEMENT: StatementWithLines = {
  id: '7d0f5a52-33a5-4d4e-9d55-0d3f4f4a1b11', number: 7n, carrier_id: '1b9f0c39-7f53-4b3e-a3a9-5c1f1b3f4d21', carrier_name: 'Northwind, "Voice" Ltd',
  currency: 'USD', period_kind: 'semi_monthly', time_zone: 'Europe/London', period_start: '2026-11-01', period_end: '2026-11-15',
  period_start_at: new Date('2026-11-01T00:00:00Z'), period_end_at: new Date('2026-11-16T00:00:00Z'), status: 'issued',
  bought_micros: 10_000_000n, fees_micros: 500_000n, sold_micros: 4_200_000n, netting_micros: 4_200_000n, balance_micros: 6_300_000n, paid_micros: 0n, credited_micros: 0n, debited_micros: 0n,
  issued_at: new Date('2026-11-16T06:00:00Z'), due_date: '2026-12-16',
  lines: [
    { section: 'bought', destination_id: null, destination_name: 'UK, Mobile', adjustment: false, calls: 3, billed_s: 600n, amount_micros: 9_000_000n, fee_micros: 450_000n },
    { section: 'bought', destination_id: null, destination_name: '=cmd', adjustment: true, calls: 1, billed_s: 61n, amount_micros: 1_000_000n, fee_micros: 50_000n },
    { section: 'sold', destination_id: null, destination_name: 'Germany Fixed', adjustment: false, calls: 2, billed_s: 90n, amount_micros: 4_200_000n, fee_micros: 0n },
  ],
};

describe('statement views', () => {
  it('shows money as decimal strings and what is due', () => {
    const view = statementView(STATEMENT);
    expect(view.number).to.equal('ST-000007');
    expect(view.totals).to.deep.equal({
      bought: '10.000000', fees: '0.500000', sold: '4.200000', netting: '4.200000', balance: '6.300000',
      amount_due: '6.300000', amount_payable: '0.000000', paid: '0.000000', credited: '0.000000', debited: '0.000000',
    });
    expect(view.lines[1]).to.include({ billed_minutes: '1.02', amount: '1.000000', fee: '0.050000', adjustment: true });
  });

  it('writes a CSV that a CSV parser reads back field for field', () => {
    const records = parse<Record<string, string>>(statementCsv(STATEMENT), { columns: true });
    expect(records).to.have.length(3 + 10);
    expect(records[0]).to.deep.equal({
      statement: 'ST-000007', currency: 'USD', first_day: '2026-11-01', last_day: '2026-11-15', record: 'line', section: 'bought',
      destination: 'UK, Mobile', adjustment: 'no', calls: '3', billed_seconds: '600', billed_minutes: '10.00', amount: '9.000000', fee: '0.450000',
    });
    expect(records[1]!['destination']).to.equal("'=cmd");
    expect(records.filter((record) => record['record'] === 'total').map((record) => [record['section'], record['amount']])).to.deep.equal([
      ['bought', '10.000000'], ['fees', '0.500000'], ['sold', '4.200000'], ['netting', '4.200000'], ['balance', '6.300000'],
      ['amount_due', '6.300000'], ['amount_payable', '0.000000'], ['paid', '0.000000'], ['credited', '0.000000'], ['debited', '0.000000'],
    ]);
  });

  it('renders a PDF that opens, with the figures on it', async () => {
    const pdf = await statementPdf(STATEMENT);
    const facts = readPdf(pdf);
    expect(facts.pages).to.equal(1);
    expect(facts.text).to.include('ST-000007');
    expect(facts.text).to.include('6.300000 USD');
    expect(facts.text).to.include('Germany Fixed');
    // The same statement renders to the same bytes.
    expect((await statementPdf(STATEMENT)).equals(pdf)).to.equal(true);
  });
});
