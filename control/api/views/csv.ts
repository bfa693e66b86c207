/**
 * Writing CSV (RFC 4180). Small enough to keep here rather than add a package: a field is quoted
 * when it holds a comma, a quote, a line break or edge spaces, with its quotes doubled; lines end
 * in CRLF. Free text (a name someone typed) that starts like a spreadsheet formula is prefixed
 * with an apostrophe, so that opening the file in a spreadsheet never runs it.
 */

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: string | number | bigint | boolean): string {
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Free text, defused against spreadsheet formulas. */
export function csvText(text: string): string {
  return csvField(FORMULA_START.test(text) ? `'${text}` : text);
}

/** Rows of fields already written with csvField or csvText, as one CSV document. */
export function csvDocument(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((row) => `${row.join(',')}\r\n`).join('');
}
