/**
 * Parses a seller's rate deck: one sell order per line,
 *
 *   prefix or destination, price_per_minute, increments, connect_fee, effective_date, channels
 *   4420,0.012000,30/6,0.005,2030-01-01,30
 *   "United Kingdom - Mobile",0.021,60/60,,,10
 *
 * A header line is optional (recognised by its price column's name). A first column of digits is
 * a prefix of the destination, anything else a destination's name. An empty connect fee is zero;
 * an empty effective date means now. A deck takes effect when it is uploaded, so an effective date
 * in the future is refused rather than silently brought forward.
 */
import { parseDecimalToMicros } from '../../common/money.ts';
import { readCsv } from '../../common/csv-records.ts';
import type { CsvProblem } from './destination-csv.ts';
import { MAX_CHANNELS, parseIncrements, parseIsoTime } from './order-input.ts';

export interface DeckLine {
  readonly line: number;
  readonly destination: { readonly prefix: string } | { readonly name: string };
  readonly price_per_minute_micros: bigint;
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
  readonly channels: number;
}

export type RateDeckCsvResult = { readonly ok: true; readonly lines: readonly DeckLine[] } | { readonly ok: false; readonly problems: readonly CsvProblem[] };

/** Lines one deck may hold: each becomes an order, all submitted in one serialized step. */
export const MAX_DECK_LINES = 5_000;
const MAX_REPORTED_PROBLEMS = 100;
const COLUMNS = 6;
const PRICE_HEADERS = ['price_per_minute', 'price', 'rate'];
const PREFIX = /^\+?([0-9]{1,15})$/;

export function parseRateDeckCsv(text: string, now_ms: number): RateDeckCsvResult {
  const csv = readCsv(text, MAX_DECK_LINES + 1);
  if (!csv.ok) return { ok: false, problems: [{ line: csv.line, reason: 'invalid_csv', message: csv.message }] };
  const [first] = csv.records;
  const hasHeader = first !== undefined && PRICE_HEADERS.includes((first.fields[1] ?? '').toLowerCase());
  const records = hasHeader ? csv.records.slice(1) : csv.records;
  if (records.length > MAX_DECK_LINES) return { ok: false, problems: [{ line: records[MAX_DECK_LINES]!.line, reason: 'too_many_lines', message: `a deck has at most ${MAX_DECK_LINES} lines` }] };
  const lines: DeckLine[] = [];
  const problems: CsvProblem[] = [];
  for (const record of records) {
    const parsed = parseDeckRecord(record.fields, record.line, now_ms);
    if ('reason' in parsed) problems.push(parsed);
    else lines.push(parsed);
    if (problems.length >= MAX_REPORTED_PROBLEMS) break;
  }
  if (problems.length === 0 && lines.length === 0) problems.push({ line: 1, reason: 'empty_file', message: 'the deck has no lines' });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, lines };
}

function parseDeckRecord(fields: readonly string[], line: number, now_ms: number): DeckLine | CsvProblem {
  const problem = (reason: string, message: string): CsvProblem => ({ line, reason, message });
  if (fields.length !== COLUMNS) return problem('wrong_column_count', `expected ${COLUMNS} columns, found ${fields.length}`);
  const [destination = '', priceText = '', incrementsText = '', feeText = '', dateText = '', channelsText = ''] = fields;
  if (destination === '' || destination.length > 200) return problem('unknown_destination', 'the first column names a prefix or a destination');
  const prefix = PREFIX.exec(destination);
  const price = decimalMicros(priceText);
  if (price === null || price <= 0n) return problem('invalid_price', 'price_per_minute must be a decimal greater than zero with at most 6 decimals');
  const increments = parseIncrements(incrementsText);
  if (!increments.ok) return problem('invalid_increments', increments.message);
  const fee = feeText === '' ? 0n : decimalMicros(feeText);
  if (fee === null || fee < 0n) return problem('invalid_amount', 'connect_fee must be empty or a decimal of at least zero with at most 6 decimals');
  if (dateText !== '') {
    const effective_ms = parseIsoTime(dateText);
    if (effective_ms === null) return problem('invalid_effective_date', `'${dateText}' is not an ISO 8601 date or time`);
    if (effective_ms > now_ms) return problem('effective_date_in_future', 'a deck takes effect when it is uploaded: upload it on its effective date');
  }
  const channels = /^[0-9]{1,7}$/.test(channelsText) ? Number(channelsText) : 0;
  if (channels < 1 || channels > MAX_CHANNELS) return problem('invalid_channels', `channels must be a whole number from 1 to ${MAX_CHANNELS}`);
  return {
    line,
    destination: prefix ? { prefix: prefix[1]! } : { name: destination },
    price_per_minute_micros: price,
    first_increment_s: increments.first_increment_s,
    next_increment_s: increments.next_increment_s,
    connect_fee_micros: fee,
    channels,
  };
}

function decimalMicros(text: string): bigint | null {
  try {
    return parseDecimalToMicros(text);
  } catch {
    return null;
  }
}
