/**
 * A small, strict CSV reader (RFC 4180): fields separated by commas, records by CRLF or LF, a field
 * in double quotes may hold commas, quotes (doubled) and line breaks. Anything RFC 4180 does not
 * allow (a quote inside an unquoted field, text after a closing quote, a quote never closed) is an
 * error with its line number, never a guess. Unquoted fields are trimmed; blank lines are skipped.
 */

export interface CsvRecord {
  /** The 1-based line the record starts on, for error messages the uploader can act on. */
  readonly line: number;
  readonly fields: readonly string[];
}

export type CsvResult = { readonly ok: true; readonly records: readonly CsvRecord[] } | { readonly ok: false; readonly line: number; readonly message: string };

const QUOTE = '"';
/** Comma, line feed, carriage return and double quote: what ends a run of field text. */
const SPECIAL = new Set([44, 10, 13, 34]);

export function readCsv(text: string, max_records: number): CsvResult {
  const records: CsvRecord[] = [];
  const read = eachCsvRecord(text, max_records, (record) => {
    records.push(record);
  });
  return read.ok ? { ok: true, records } : read;
}

/**
 * Hands each record to `onRecord` as it is read, keeping none: a table of a million lines is
 * checked without holding a million records at once. `onRecord` returns false to stop reading.
 */
export function eachCsvRecord(
  text: string, max_records: number, onRecord: (record: CsvRecord) => boolean | void,
): { readonly ok: true } | { readonly ok: false; readonly line: number; readonly message: string } {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let count = 0;
  let stopped = false;
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let recordLine = 1;
  const endField = () => {
    fields.push(quoted || afterQuote ? field : field.trim());
    field = '';
    quoted = false;
    afterQuote = false;
  };
  const endRecord = (): boolean => {
    endField();
    const blank = fields.length === 1 && fields[0] === '';
    if (!blank) {
      count += 1;
      if (count <= max_records) stopped = onRecord({ line: recordLine, fields }) === false;
    }
    fields = [];
    return count <= max_records;
  };
  for (let index = 0; index < source.length && !stopped; index += 1) {
    const char = source[index]!;
    if (quoted) {
      if (char === QUOTE && source[index + 1] === QUOTE) {
        field += QUOTE;
        index += 1;
      } else if (char === QUOTE) {
        quoted = false;
        afterQuote = true;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
      continue;
    }
    if (char === ',') {
      endField();
    } else if (char === '\n' || (char === '\r' && source[index + 1] === '\n')) {
      if (char === '\r') index += 1;
      if (!endRecord()) return { ok: false, line, message: `more than ${max_records} records` };
      line += 1;
      recordLine = line;
    } else if (afterQuote) {
      if (char !== ' ' && char !== '\t') return { ok: false, line, message: 'text after a closing quote' };
    } else if (char === QUOTE) {
      if (field.trim() !== '') return { ok: false, line, message: 'a quote inside an unquoted field' };
      field = '';
      quoted = true;
    } else if (char === '\r') {
      return { ok: false, line, message: 'a carriage return outside quotes that does not end a line' };
    } else {
      // A run of ordinary characters is taken in one slice: a table may have a million lines.
      let end = index + 1;
      while (end < source.length && !SPECIAL.has(source.charCodeAt(end))) end += 1;
      field += source.slice(index, end);
      index = end - 1;
    }
  }
  if (stopped) return { ok: true };
  if (quoted) return { ok: false, line: recordLine, message: 'a quoted field is never closed' };
  if (!endRecord()) return { ok: false, line, message: `more than ${max_records} records` };
  return { ok: true };
}
