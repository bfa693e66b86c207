/**
 * Renders the sample statement shown in docs/settlement.md: a semi-monthly statement of a carrier
 * that bought and sold, with an adjustment line, through the same PDF view the API serves, then
 * (with pdftoppm from poppler-utils) the picture of its first page.
 *
 * Usage: npx tsx scripts/sample-statement.ts [out-dir=docs/images]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { statementTotals, type StatementLine } from '../billing/core/statement.ts';
import { statementPdf } from '../control/api/views/statement-pdf.ts';

const outDir = process.argv[2] ?? 'docs/images';
const line = (section: StatementLine['section'], destination_name: string, calls: number, billed_s: bigint, amount_micros: bigint, fee_micros: bigint, adjustment = false): StatementLine =>
  ({ section, destination_id: null, destination_name, adjustment, calls, billed_s, amount_micros, fee_micros });
// Fees at 0.000600 per minute on bought lines.
const lines: StatementLine[] = [
  line('bought', 'United Kingdom Mobile', 1_204, 226_380n, 38_484_600n, 2_263_800n),
  line('bought', 'Germany Fixed', 311, 41_220n, 2_473_200n, 412_200n),
  line('bought', 'Germany Fixed', 4, 540n, 32_400n, 5_400n, true),
  line('sold', 'Nigeria Mobile', 2_050, 301_440n, 59_283_200n, 0n),
  line('sold', 'Kenya Mobile', 96, 8_700n, 2_088_000n, 0n),
];
const totals = statementTotals(lines, 0n);
const pdf = await statementPdf({
  id: '00000000-0000-4000-8000-000000000042', number: 42n, carrier_id: '00000000-0000-4000-8000-000000000007', carrier_name: 'Example Telecom Ltd',
  currency: 'USD', period_kind: 'semi_monthly', time_zone: 'Europe/London', period_start: '2026-11-01', period_end: '2026-11-15',
  period_start_at: new Date('2026-11-01T00:00:00Z'), period_end_at: new Date('2026-11-16T00:00:00Z'), status: 'issued',
  bought_micros: totals.bought_micros, fees_micros: totals.fees_micros, sold_micros: totals.sold_micros, netting_micros: totals.netting_micros,
  balance_micros: totals.balance_micros, paid_micros: 0n, credited_micros: 0n, debited_micros: 0n, issued_at: new Date('2026-11-16T01:00:00Z'), due_date: '2026-12-01', lines,
});
const pdfPath = path.join(outDir, 'sample-statement.pdf');
writeFileSync(pdfPath, pdf);
execFileSync('pdftoppm', ['-png', '-r', '70', '-singlefile', pdfPath, path.join(outDir, 'sample-statement')]);
console.log(`${pdfPath} and ${path.join(outDir, 'sample-statement.png')} written`);
