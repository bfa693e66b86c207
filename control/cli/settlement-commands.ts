/**
 * Statements from the operator CLI, over the API: list the issued ones, run a period's statements,
 * and download one as JSON, CSV or PDF to a file.
 */
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { printRows, type CliContext } from './context.ts';
import type { Row } from './output.ts';
import { parsePositiveInteger } from './member-commands.ts';

export const STATEMENT_FORMATS = ['json', 'csv', 'pdf'] as const;
export type StatementFormat = (typeof STATEMENT_FORMATS)[number];

export function parseDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('a day as YYYY-MM-DD');
  return value;
}

function parseFormat(value: string): StatementFormat {
  if (!(STATEMENT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${STATEMENT_FORMATS.join(', ')}`);
  return value as StatementFormat;
}

/** Where a download goes: the file named, or `<statement id>.<format>` in the working directory. */
export function downloadFileName(statement_id: string, format: StatementFormat, output: string | undefined): string {
  return output ?? `${statement_id}.${format}`;
}

export function registerSettlementCommands(program: Command, context: CliContext): void {
  const statements = program.command('statements').description('statements: list, run a period, download');
  statements.command('list').description('issued statements, newest first')
    .option('--carrier <carrier_id>', "one carrier's").option('--limit <n>', 'at most this many', parsePositiveInteger, 100)
    .action(async (options: { carrier?: string; limit: number }) => {
      const query = new URLSearchParams({ limit: String(options.limit), ...(options.carrier === undefined ? {} : { carrier_id: options.carrier }) });
      const body = await context.api().request<{ statements: Array<Row & { carrier: Row; period: Row; totals: Row }> }>('GET', `/v1/statements?${query.toString()}`);
      printRows(context, body, body.statements.map((one) => ({
        id: one['id'], number: one['number'], carrier: one.carrier['name'], currency: one['currency'], status: one['status'],
        first_day: one.period['first_day'], last_day: one.period['last_day'], balance: one.totals['balance'], due_date: one['due_date'],
      })), ['id', 'number', 'carrier', 'currency', 'status', 'first_day', 'last_day', 'balance', 'due_date']);
    });
  statements.command('run').description("issue the statements of every period ending that day (once: a second run is refused)")
    .argument('<period_end>', 'the last day of the periods, YYYY-MM-DD', parseDay)
    .action(async (period_end: string) => {
      const body = await context.api().request<{ statements: Row[] }>('POST', '/v1/statements/run', { period_end });
      printRows(context, body, body.statements, ['id', 'number', 'carrier_id', 'currency', 'first_day', 'last_day', 'balance']);
    });
  statements.command('download').description('a statement to a file, as JSON, CSV or PDF').argument('<statement_id>')
    .option('--format <format>', 'json, csv or pdf', parseFormat, 'pdf' as StatementFormat).option('-o, --output <file>', 'the file (default: <id>.<format>)')
    .action(async (statement_id: string, options: { format: StatementFormat; output?: string }) => {
      const bytes = await context.api().download(`/v1/statements/${encodeURIComponent(statement_id)}.${options.format}`);
      const file = downloadFileName(statement_id, options.format, options.output);
      await writeFile(file, bytes);
      const body = { statement_id, format: options.format, file, bytes: bytes.length };
      printRows(context, body, [body], ['statement_id', 'format', 'file', 'bytes']);
    });
}
