/**
 * A carrier's net positions, per currency, read from the ledger (its receivable and payable
 * accounts), its unbilled rated calls and its open statements; the arithmetic is
 * billing/core/position.ts. Everything is read in one snapshot, so the figures agree with each
 * other to the micro-unit even while batches are being posted.
 */
import type { Db } from '../../common/db/database.ts';
import { carrierPosition, type OpenStatement, type Position } from '../core/position.ts';
import { OPEN_STATEMENT_STATES } from '../core/statement-lifecycle.ts';
import { BillingTermsStore } from './billing-terms-store.ts';

interface CurrencyAmount {
  currency: string;
  amount_micros: bigint;
}

export class PositionStore {
  constructor(private readonly db: Db) {}

  /** One position per currency the carrier has any money in, in currency order. */
  async positions(carrier_id: string): Promise<Position[]> {
    return this.db.tx('carrier-position', async (t) => {
      // One snapshot for every read below: a batch committed between two reads cannot skew them.
      await t.none('set transaction isolation level repeatable read, read only');
      const terms = await new BillingTermsStore(this.db).terms(carrier_id, t);
      const today = (await t.one<{ today: string }>('select (now() at time zone $1)::date::text as today', [terms.time_zone])).today;
      const amounts = (sql: string) => t.map(sql, [carrier_id], (row: CurrencyAmount) => ({ currency: row.currency.trim(), amount_micros: row.amount_micros }));
      const receivable = await amounts(`select currency, balance_micros as amount_micros from ledger_accounts where carrier_id = $1 and kind = 'receivable'`);
      const payable = await amounts(`select currency, balance_micros as amount_micros from ledger_accounts where carrier_id = $1 and kind = 'payable'`);
      const unbilledBought = await amounts(
        `select currency, sum(buyer_amount_micros) as amount_micros from cdrs
         where buyer_id = $1 and buyer_statement_id is null and billing_status = 'rated' and billed_s > 0 group by currency`);
      const unbilledSold = await amounts(
        `select currency, sum(seller_amount_micros) as amount_micros from cdrs
         where seller_id = $1 and seller_statement_id is null and billing_status = 'rated' and billed_s > 0 group by currency`);
      const open = await t.map(
        `select trim(currency) as currency, balance_micros, paid_micros, credited_micros, debited_micros, due_date::text as due_date from statements
         where carrier_id = $1 and status in ($2:csv)`,
        [carrier_id, OPEN_STATEMENT_STATES],
        (row: OpenStatement & { currency: string }) => row);
      const notes = (kind: 'credit' | 'debit') => amounts(`select currency, sum(amount_micros) as amount_micros from notes where carrier_id = $1 and kind = '${kind}' group by currency`);
      const creditNotes = await notes('credit');
      const debitNotes = await notes('debit');
      const currencies = [...new Set([...receivable, ...payable, ...unbilledBought, ...unbilledSold, ...open, ...creditNotes, ...debitNotes].map((row) => row.currency))].sort();
      const find = (rows: CurrencyAmount[], currency: string) => rows.find((row) => row.currency === currency)?.amount_micros ?? 0n;
      return currencies.map((currency) => carrierPosition({
        currency,
        receivable_account_micros: find(receivable, currency),
        payable_account_micros: find(payable, currency),
        unbilled_bought_micros: find(unbilledBought, currency),
        unbilled_sold_micros: find(unbilledSold, currency),
        open_statements: open.filter((row) => row.currency === currency),
        credit_notes_micros: find(creditNotes, currency),
        debit_notes_micros: find(debitNotes, currency),
        today,
      }));
    });
  }
}
