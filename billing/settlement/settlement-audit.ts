/**
 * An independent check of settlement: recomputes, from the CDRs, the statements' netting and the
 * applied payments and the credit and debit notes alone, what every carrier's receivable and payable accounts must hold and what
 * every statement's totals must be, and lists every difference from the ledger and the
 * statements, to the micro-unit. It shares no code with the paths that post: only their
 * definitions (a rated call posts its buyer and seller amounts; netting offsets both accounts; a
 * payment or an honoured draw on collateral reduces the receivable, a reversed payment grows it
 * back, a payout reduces the payable, a funded advance reduces the seller's payable and counts as
 * paid on its statements; a deferral's interest is a debit note). It also checks the exchange's
 * financing accounts: what it owes the node (advances funded less repayments) and what it earned
 * (advance fees and deferral interest).
 */
import type { Db } from '../../common/db/database.ts';

export interface AuditMismatch {
  /** `account:<carrier>/<kind>/<currency>` or `statement:<id>/<figure>` or `trial_balance/<currency>`. */
  readonly subject: string;
  readonly expected_micros: bigint;
  readonly actual_micros: bigint;
}

export interface AuditReport {
  readonly accounts_checked: number;
  readonly statements_checked: number;
  readonly mismatches: readonly AuditMismatch[];
}

const ACCOUNTS = `
  with movements as (
    select buyer_id as carrier_id, trim(currency) as currency, 'receivable' as kind, buyer_amount_micros as amount
      from cdrs where billing_status = 'rated' and ledger_transaction_id is not null
    union all
    select seller_id, trim(currency), 'payable', -seller_amount_micros
      from cdrs where billing_status = 'rated' and ledger_transaction_id is not null and seller_amount_micros > 0
    union all
    select carrier_id, trim(currency), 'receivable', -netting_micros from statements where netting_micros > 0
    union all
    select carrier_id, trim(currency), 'payable', netting_micros from statements where netting_micros > 0
    union all
    select s.carrier_id, trim(e.currency), 'receivable', -e.amount_micros
      from fsn_events e join statements s on s.id = e.statement_id
      where e.ledger_transaction_id is not null and e.type = 'collection.payment_received'
    union all
    select s.carrier_id, trim(e.currency), 'payable', e.amount_micros
      from fsn_events e join statements s on s.id = e.statement_id
      where e.ledger_transaction_id is not null and e.type = 'payout.paid'
    union all
    select s.carrier_id, trim(e.currency), 'receivable', e.amount_micros
      from fsn_events e join statements s on s.id = e.statement_id
      where e.ledger_transaction_id is not null and e.type = 'collection.payment_reversed'
    union all
    select carrier_id, trim(currency), 'receivable', -amount_micros from collateral_draws where status = 'honoured'
    union all
    -- A funded advance was paid to the seller: what the exchange owes it is down by the advance.
    select carrier_id, trim(currency), 'payable', advance_micros from advances where status in ('funded', 'repaid')
    union all
    -- A credit note credits the account of the side it corrects, a debit note debits it.
    select carrier_id, trim(currency), case section when 'bought' then 'receivable' else 'payable' end,
           case kind when 'credit' then -amount_micros else amount_micros end
      from notes
  ),
  expected as (
    select carrier_id, currency, kind, sum(amount) as expected from movements where carrier_id is not null group by 1, 2, 3
  ),
  actual as (
    select carrier_id, trim(currency) as currency, kind, balance_micros as actual
      from ledger_accounts where carrier_id is not null and kind in ('receivable', 'payable')
  )
  select coalesce(e.carrier_id, a.carrier_id) as carrier_id, coalesce(e.currency, a.currency) as currency, coalesce(e.kind, a.kind) as kind,
         coalesce(e.expected, 0) as expected_micros, coalesce(a.actual, 0) as actual_micros
  from expected e full join actual a on a.carrier_id = e.carrier_id and a.currency = e.currency and a.kind = e.kind`;

const STATEMENTS = `
  select s.id, s.bought_micros, s.fees_micros, s.sold_micros, s.paid_micros, s.netting_micros,
         coalesce((select sum(seller_amount_micros) from cdrs where buyer_statement_id = s.id), 0) as bought,
         coalesce((select sum(fee_amount_micros + coalesce(premium_amount_micros, 0)) from cdrs where buyer_statement_id = s.id), 0) as fees,
         coalesce((select sum(seller_amount_micros) from cdrs where seller_statement_id = s.id), 0) as sold,
         coalesce((select sum(case when type = 'collection.payment_reversed' then -amount_micros else amount_micros end)
                   from fsn_events where statement_id = s.id and ledger_transaction_id is not null), 0)
         + coalesce((select sum(amount_micros) from collateral_draws where statement_id = s.id and status = 'honoured'), 0)
         + coalesce((select sum(l.advance_micros) from advance_lines l join advances a on a.id = l.advance_id
                     where l.seller_statement_id = s.id and a.status in ('funded', 'repaid')), 0) as paid,
         s.credited_micros, coalesce((select sum(allocated_micros) from notes where statement_id = s.id and kind = 'credit'), 0) as credited,
         s.debited_micros, coalesce((select sum(allocated_micros) from notes where statement_id = s.id and kind = 'debit'), 0) as debited
  from statements s where s.status <> 'draft'`;

/** The exchange's financing accounts (credit balances, so negative): owed to the node, and earned. */
const FINANCING = `
  with expected as (
    select trim(currency) as currency, 'financing' as kind, -sum(advance_micros) as amount from advances where status in ('funded', 'repaid') group by 1
    union all
    select trim(a.currency), 'financing', sum(r.repaid_micros) from advance_repayments r join advances a on a.id = r.advance_id group by 1
    union all
    select trim(currency), 'financing_income', -sum(fee_micros) from advances where status in ('funded', 'repaid') group by 1
    union all
    select trim(currency), 'financing_income', -sum(interest_micros) from deferrals group by 1
  ),
  summed as (select currency, kind, sum(amount) as expected from expected group by 1, 2),
  actual as (select trim(currency) as currency, kind, balance_micros as actual from ledger_accounts where carrier_id is null and kind in ('financing', 'financing_income'))
  select coalesce(e.currency, a.currency) as currency, coalesce(e.kind, a.kind) as kind, coalesce(e.expected, 0) as expected_micros, coalesce(a.actual, 0) as actual_micros
  from summed e full join actual a on a.currency = e.currency and a.kind = e.kind`;

interface StatementRow {
  id: string;
  bought_micros: bigint;
  fees_micros: bigint;
  sold_micros: bigint;
  paid_micros: bigint;
  netting_micros: bigint;
  credited_micros: bigint;
  credited: bigint;
  debited_micros: bigint;
  debited: bigint;
  bought: bigint;
  fees: bigint;
  sold: bigint;
  paid: bigint;
}

export async function auditSettlement(db: Db): Promise<AuditReport> {
  return db.tx('settlement-audit', async (t) => {
    await t.none('set transaction isolation level repeatable read, read only');
    const mismatches: AuditMismatch[] = [];
    const accounts = await t.any<{ carrier_id: string; currency: string; kind: string; expected_micros: bigint; actual_micros: bigint }>(ACCOUNTS);
    for (const account of accounts) {
      if (account.expected_micros !== account.actual_micros) {
        mismatches.push({ subject: `account:${account.carrier_id}/${account.kind}/${account.currency}`, expected_micros: account.expected_micros, actual_micros: account.actual_micros });
      }
    }
    const financing = await t.any<{ currency: string; kind: string; expected_micros: bigint; actual_micros: bigint }>(FINANCING);
    for (const account of financing) {
      if (account.expected_micros !== account.actual_micros) {
        mismatches.push({ subject: `account:exchange/${account.kind}/${account.currency}`, expected_micros: account.expected_micros, actual_micros: account.actual_micros });
      }
    }
    const statements = await t.any<StatementRow>(STATEMENTS);
    for (const row of statements) {
      const figures: Array<[string, bigint, bigint]> = [
        ['bought', row.bought, row.bought_micros], ['fees', row.fees, row.fees_micros], ['sold', row.sold, row.sold_micros], ['paid', row.paid, row.paid_micros], ['credited', row.credited, row.credited_micros], ['debited', row.debited, row.debited_micros],
        // Netting never exceeds the smaller side.
        ['netting', row.netting_micros <= row.bought + row.fees && row.netting_micros <= row.sold ? row.netting_micros : -1n, row.netting_micros],
      ];
      for (const [figure, expected_micros, actual_micros] of figures) {
        if (expected_micros !== actual_micros) mismatches.push({ subject: `statement:${row.id}/${figure}`, expected_micros, actual_micros });
      }
    }
    const totals = await t.any<{ currency: string; total: bigint }>('select trim(currency) as currency, sum(amount_micros) as total from ledger_postings group by 1 having sum(amount_micros) <> 0');
    for (const total of totals) mismatches.push({ subject: `trial_balance/${total.currency}`, expected_micros: 0n, actual_micros: total.total });
    return { accounts_checked: accounts.length + financing.length, statements_checked: statements.length, mismatches };
  });
}
