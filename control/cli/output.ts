/**
 * What the CLI prints: tables for people, JSON for scripts (`--json`), and an API's refusal as
 * its reason code, message and the bad lines it listed.
 */
import { ApiFailure } from './api-client.ts';

export type Row = Record<string, unknown>;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** A plain text table: one line per row, columns padded to their widest cell. */
export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]!.length)));
  const line = (values: readonly string[]) => values.map((value, index) => value.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/** One record as two columns, field and value, nested objects flattened to `a.b`. */
export function formatRecord(record: Row): string {
  const rows: Row[] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(prefix === '' ? key : `${prefix}.${key}`, inner);
    } else {
      rows.push({ field: prefix, value });
    }
  };
  walk('', record);
  return formatTable(rows, ['field', 'value']);
}

/** Problems shown at most, of a refused CSV: the rest are counted. */
const MAX_PROBLEMS_SHOWN = 20;

/** An error as the operator reads it on stderr: for the API's refusals, its reason code first. */
export function formatFailure(error: unknown): string {
  if (!(error instanceof ApiFailure)) return `error: ${error instanceof Error ? error.message : String(error)}`;
  const lines = [`error: ${error.status} ${error.reason} from ${error.method} ${error.path}${error.apiMessage === '' ? '' : `: ${error.apiMessage}`}`];
  const problems = error.body['problems'];
  if (Array.isArray(problems)) {
    for (const problem of problems.slice(0, MAX_PROBLEMS_SHOWN) as Row[]) {
      lines.push(`  line ${cellText(problem['line'])}: ${cellText(problem['reason'])}: ${cellText(problem['message'])}`);
    }
    if (problems.length > MAX_PROBLEMS_SHOWN) lines.push(`  ... and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
  }
  return lines.join('\n');
}
