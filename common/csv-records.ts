/**
 * CSV uploads read with csv-parse, in the one dialect every upload in minutex accepts: RFC 4180
 * (fields separated by commas, records by CRLF or LF, a quoted field may hold commas, doubled
 * quotes and line breaks), a byte order mark ignored, unquoted fields trimmed, blank lines
 * skipped. A record is handed on with the line it starts on, so that each bad line can be named
 * to the uploader; anything csv-parse refuses (a quote inside an unquoted field, text after a
 * closing quote, a quote never closed) is a syntax error with its line, never a guess.
 *
 * Two ways in: `eachCsvRecord` for a text already in memory (the record handler sees one record
 * at a time and nothing is kept), and `csvRecords` for a stream (an upload read as it arrives).
 */
import { Readable } from 'node:stream';
import { parse, type CsvError, type Options } from 'csv-parse';
import { parse as parseText } from 'csv-parse/sync';

export interface CsvRecord {
  /** The 1-based line the record starts on. */
  readonly line: number;
  readonly fields: readonly string[];
}

export interface CsvSyntaxProblem {
  readonly ok: false;
  readonly line: number;
  readonly message: string;
}

export type CsvReadResult = { readonly ok: true } | CsvSyntaxProblem;

const DIALECT: Options = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  // Column counts are each importer's own rule, reported per line rather than stopping the read.
  relax_column_count: true,
  record_delimiter: ['\r\n', '\n'],
  // No line of any upload comes near this; a file that does is refused, not held in memory.
  max_record_size: 65_536,
};

/** Line breaks inside a record's (quoted) fields: the lines it spans beyond its first. */
function quotedBreaks(fields: readonly string[]): number {
  let breaks = 0;
  for (const field of fields) {
    for (let index = field.indexOf('\n'); index !== -1; index = field.indexOf('\n', index + 1)) breaks += 1;
  }
  return breaks;
}

/** csv-parse counts the line a record ends on; a quoted line break moves the start back. */
function startLine(end_line: number, fields: readonly string[]): number {
  return end_line - quotedBreaks(fields);
}

/** A blank line, as csv-parse reads it when it keeps blank lines: one empty field. */
const isBlank = (fields: readonly string[]) => fields.length === 1 && fields[0] === '';

const MESSAGES: Readonly<Record<string, string>> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_MAX_RECORD_SIZE: 'a line longer than 65536 characters',
};

/**
 * csv-parse's own error. Matched by its class's name: its sync and stream entry points may load as separate
 * module copies (CommonJS and ESM), each with its own CsvError class.
 */
function isCsvError(error: unknown): error is CsvError {
  return error instanceof Error && error.constructor.name === 'CsvError' && typeof (error as CsvError).code === 'string';
}

function syntaxProblem(error: CsvError): CsvSyntaxProblem {
  const line = typeof error.lines === 'number' && error.lines > 0 ? error.lines : 1;
  return { ok: false, line, message: MESSAGES[error.code] ?? error.message };
}

/** Thrown from the record handler to stop reading at the record limit or when asked to. */
class StopReading extends Error {
  constructor(readonly result: CsvReadResult) {
    super('stop reading');
  }
}

/**
 * Hands each record of `text` to `onRecord` as it is read, keeping none; `onRecord` returns false
 * to stop. More than `max_records` records is an error on the line of the first one too many.
 */
export function eachCsvRecord(text: string, max_records: number, onRecord: (record: CsvRecord) => boolean | void): CsvReadResult {
  let count = 0;
  try {
    parseText(text, {
      ...DIALECT,
      on_record: (fields: string[], context) => {
        const line = startLine(context.lines, fields);
        count += 1;
        if (count > max_records) throw new StopReading({ ok: false, line, message: `more than ${max_records} records` });
        if (onRecord({ line, fields }) === false) throw new StopReading({ ok: true });
        // Nothing is collected: each record lives only as long as its handler.
        return null;
      },
    });
  } catch (error) {
    if (error instanceof StopReading) return error.result;
    if (isCsvError(error)) return syntaxProblem(error);
    throw error;
  }
  return { ok: true };
}

/** Every record of `text`, for files small enough to hold (e.g. a rate deck of a few thousand lines). */
export function readCsv(text: string, max_records: number): { readonly ok: true; readonly records: readonly CsvRecord[] } | CsvSyntaxProblem {
  const records: CsvRecord[] = [];
  const read = eachCsvRecord(text, max_records, (record) => {
    records.push(record);
  });
  return read.ok ? { ok: true, records } : read;
}

/** A syntax error met while streaming, with the line it is on. */
export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/**
 * The records of a CSV stream as they arrive. A syntax error, or more than `max_records`
 * records, throws CsvSyntaxError with its line; the reader stops there.
 */
export async function* csvRecords(source: Readable | string, max_records: number): AsyncGenerator<CsvRecord> {
  const input = typeof source === 'string' ? Readable.from([source]) : source;
  // Blank lines are kept and skipped here, so that every line is a record and lines are counted
  // without csv-parse's per-record info, which nearly doubles its cost on a large file.
  const parser = input.pipe(parse({ ...DIALECT, skip_empty_lines: false }));
  input.on('error', (error) => parser.destroy(error));
  let count = 0;
  let next_line = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = next_line;
      next_line += 1 + quotedBreaks(record);
      if (isBlank(record)) continue;
      count += 1;
      if (count > max_records) throw new CsvSyntaxError(line, `more than ${max_records} records`);
      yield { line, fields: record };
    }
  } catch (error) {
    if (isCsvError(error)) {
      const problem = syntaxProblem(error);
      throw new CsvSyntaxError(problem.line, problem.message);
    }
    throw error;
  } finally {
    input.unpipe(parser);
    parser.destroy();
    if (typeof source === 'string') input.destroy();
  }
}
