/**
 * Parses a destination table as operators receive them, in either of the two common layouts:
 *
 *   prefix,name[,effective_date]          one prefix per line: 447700,United Kingdom - Mobile
 *   destination,prefixes[,effective_date] one destination per line, prefixes separated by ';' or
 *                                         spaces: "United Kingdom - Mobile",447700;447701
 *
 * A header line naming the columns is optional; without one, the layout follows from the first
 * line (digits first: prefix,name). The effective date is an ISO 8601 date or time; empty means
 * now. The whole file is checked and every bad line reported, so an operator fixes it in one pass.
 */
import { PrefixNumbers } from '../core/numbers.ts';
import { eachCsvRecord, type CsvRecord } from '../../common/csv-records.ts';
import { parseIsoTime } from './order-input.ts';

export interface DestinationPrefixRow {
  readonly line: number;
  readonly prefix: string;
  readonly name: string;
  /** Epoch ms from which the prefix routes to the destination; null: from the import on. */
  readonly effective_from_ms: number | null;
}

export interface CsvProblem {
  readonly line: number;
  readonly reason: string;
  readonly message: string;
}

export type DestinationCsvResult =
  | { readonly ok: true; readonly rows: readonly DestinationPrefixRow[] }
  | { readonly ok: false; readonly problems: readonly CsvProblem[] };

/** Lines one import may hold: a full international destination table down to number ranges runs to a million. */
export const MAX_DESTINATION_LINES = 1_000_000;
/** Problems reported at most: past this the file is plainly not what the importer expects. */
export const MAX_REPORTED_PROBLEMS = 100;
const MAX_NAME_LENGTH = 200;
const PREFIX = /^\+?([0-9]{1,15})$/;

type Layout = 'prefix_name' | 'destination_prefixes';

function headerLayout(fields: readonly string[]): Layout | null {
  const names = fields.map((field) => field.toLowerCase());
  const dated = names.length === 2 || (names.length === 3 && ['effective_date', 'effective_from'].includes(names[2]!));
  if (!dated) return null;
  if (names[0] === 'prefix' && (names[1] === 'name' || names[1] === 'destination')) return 'prefix_name';
  if ((names[0] === 'destination' || names[0] === 'name') && names[1] === 'prefixes') return 'destination_prefixes';
  return null;
}

export function parseDestinationCsv(text: string): DestinationCsvResult {
  let first: CsvRecord | undefined;
  let layout: Layout = 'prefix_name';
  const rows: DestinationPrefixRow[] = [];
  const problems: CsvProblem[] = [];
  // Line of each prefix seen: numbers in typed arrays, not a million entries for the collector.
  const seen = new PrefixNumbers();
  const csv = eachCsvRecord(text, MAX_DESTINATION_LINES + 1, (record) => {
    if (first === undefined) {
      first = record;
      const header = headerLayout(record.fields);
      layout = header ?? (PREFIX.test(record.fields[0] ?? '') ? 'prefix_name' : 'destination_prefixes');
      if (header !== null) return true;
    }
    const parsed = parseRecord(record.fields, layout);
    if (!parsed.ok) {
      problems.push({ line: record.line, reason: parsed.reason, message: parsed.message });
    } else {
      for (const prefix of parsed.prefixes) {
        const earlier = seen.get(prefix);
        if (earlier !== undefined) problems.push({ line: record.line, reason: 'duplicate_prefix', message: `prefix ${prefix} is already on line ${earlier}` });
        else seen.set(prefix, record.line);
        rows.push({ line: record.line, prefix, name: parsed.name, effective_from_ms: parsed.effective_from_ms });
      }
    }
    return problems.length < MAX_REPORTED_PROBLEMS;
  });
  if (!csv.ok) return { ok: false, problems: [{ line: csv.line, reason: 'invalid_csv', message: csv.message }] };
  if (first === undefined) return { ok: false, problems: [{ line: 1, reason: 'empty_file', message: 'the file has no lines' }] };
  if (problems.length === 0 && rows.length === 0) problems.push({ line: first.line, reason: 'empty_file', message: 'the file has no destinations' });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows };
}

type RecordResult =
  | { ok: true; name: string; prefixes: string[]; effective_from_ms: number | null }
  | { ok: false; reason: string; message: string };

function parseRecord(fields: readonly string[], layout: Layout): RecordResult {
  if (fields.length < 2 || fields.length > 3) return { ok: false, reason: 'wrong_column_count', message: `expected 2 or 3 columns, found ${fields.length}` };
  const [first = '', second = '', date = ''] = fields;
  const name = layout === 'prefix_name' ? second : first;
  const prefixText = layout === 'prefix_name' ? first : second;
  if (name === '' || name.length > MAX_NAME_LENGTH) return { ok: false, reason: 'invalid_name', message: `a destination name has 1 to ${MAX_NAME_LENGTH} characters` };
  const prefixes: string[] = [];
  const cells = layout === 'prefix_name' ? [prefixText] : prefixText.split(/[;\s]+/).filter((cell) => cell !== '');
  if (cells.length === 0) return { ok: false, reason: 'invalid_prefix', message: 'no prefixes' };
  for (const cell of cells) {
    const match = PREFIX.exec(cell);
    if (!match) return { ok: false, reason: 'invalid_prefix', message: `'${cell}' is not a prefix of 1 to 15 digits` };
    prefixes.push(match[1]!);
  }
  if (prefixes.length > 1 && new Set(prefixes).size !== prefixes.length) return { ok: false, reason: 'duplicate_prefix', message: 'a prefix appears twice on this line' };
  const effective_from_ms = date === '' ? null : parseIsoTime(date);
  if (date !== '' && effective_from_ms === null) return { ok: false, reason: 'invalid_effective_date', message: `'${date}' is not an ISO 8601 date or time` };
  return { ok: true, name, prefixes, effective_from_ms };
}
