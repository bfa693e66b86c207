/**
 * A statement as its carrier reads it: JSON (money as decimal strings), CSV (one uniform table:
 * each line, then each total, every row saying which statement it belongs to) and PDF. Nothing
 * here names a counterparty: lines are per destination only.
 */
import { formatMicros } from '../../../common/money.ts';
import { billedMinutesText, dueOrPayable } from '../../../billing/core/statement.ts';
import { statementNumberText } from '../../../billing/core/statement-lifecycle.ts';
import type { StatementWithLines, StoredStatement } from '../../../billing/settlement/statement-store.ts';
import { csvDocument, csvField, csvText } from './csv.ts';

export function statementSummaryView(statement: StoredStatement) {
  const money = (micros: bigint) => formatMicros(micros, statement.currency);
  const { amount_due_micros, amount_payable_micros } = dueOrPayable(statement.balance_micros);
  return {
    id: statement.id,
    number: statementNumberText(statement.number),
    carrier: { id: statement.carrier_id, name: statement.carrier_name },
    currency: statement.currency,
    status: statement.status,
    period: {
      kind: statement.period_kind, time_zone: statement.time_zone, first_day: statement.period_start, last_day: statement.period_end,
      starts_at: statement.period_start_at.toISOString(), ends_at: statement.period_end_at.toISOString(),
    },
    issued_at: statement.issued_at.toISOString(),
    due_date: statement.due_date,
    // Set when the buyer deferred the statement: the due date it had before (its interest is a debit note, in `debited`).
    deferred_from: statement.deferred_from ?? null,
    totals: {
      bought: money(statement.bought_micros),
      fees: money(statement.fees_micros),
      sold: money(statement.sold_micros),
      netting: money(statement.netting_micros),
      balance: money(statement.balance_micros),
      amount_due: money(amount_due_micros),
      amount_payable: money(amount_payable_micros),
      paid: money(statement.paid_micros),
      // Credit and debit notes allocated to it: what it settles is balance - credited + debited.
      credited: money(statement.credited_micros),
      debited: money(statement.debited_micros),
    },
  };
}

export function statementView(statement: StatementWithLines) {
  const money = (micros: bigint) => formatMicros(micros, statement.currency);
  return {
    ...statementSummaryView(statement),
    lines: statement.lines.map((line) => ({
      section: line.section,
      destination: line.destination_name,
      destination_id: line.destination_id,
      adjustment: line.adjustment,
      calls: line.calls,
      billed_seconds: Number(line.billed_s),
      billed_minutes: billedMinutesText(line.billed_s),
      amount: money(line.amount_micros),
      fee: money(line.fee_micros),
    })),
  };
}

const CSV_HEADER = ['statement', 'currency', 'first_day', 'last_day', 'record', 'section', 'destination', 'adjustment', 'calls', 'billed_seconds', 'billed_minutes', 'amount', 'fee'];

export function statementCsv(statement: StatementWithLines): string {
  const view = statementView(statement);
  const head = [view.number, view.currency, view.period.first_day, view.period.last_day].map(csvField);
  const lines = view.lines.map((line) => [
    ...head, 'line', line.section, csvText(line.destination), line.adjustment ? 'yes' : 'no',
    String(line.calls), String(line.billed_seconds), line.billed_minutes, line.amount, line.fee,
  ]);
  const totals = Object.entries(view.totals).map(([name, amount]) => [...head, 'total', name, '', '', '', '', '', amount, '']);
  return csvDocument([CSV_HEADER, ...lines, ...totals]);
}
