/**
 * Bulk reads and writes through PostgreSQL COPY, for tables of a million rows: rows travel as
 * tab-separated text in a stream, with no statement or JavaScript object per row.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Db } from '../../common/db/database.ts';
import type { PoolClient } from 'pg';

/** Streams the rows of `select` (already formatted SQL) to `onRows` a chunk at a time; between two
 * chunks the event loop runs, so a million rows never hold up anything else for long. */
export async function copyOut(db: Db, select: string, onRows: (rows: readonly string[][]) => void): Promise<number> {
  const connection = await db.connect();
  try {
    const stream = (connection.client as unknown as PoolClient).query(copyTo(`copy (${select}) to stdout`));
    let rest = '';
    let count = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      const rows = lines.map((line) => line.split('\t'));
      count += rows.length;
      onRows(rows);
    }
    if (rest !== '') {
      onRows([rest.split('\t')]);
      count += 1;
    }
    return count;
  } finally {
    await connection.done();
  }
}

/** Writes rows into `table` (columns given) on `client`, inside whatever transaction it holds;
 * null is written as \N. */
export async function copyIn(client: PoolClient, table: string, rows: Iterable<ReadonlyArray<string | null>>): Promise<void> {
  const stream = client.query(copyFrom(`copy ${table} from stdin`));
  await pipeline(Readable.from(textChunks(rows)), stream);
}

/** Lines per chunk written to the COPY stream. */
const LINES_PER_CHUNK = 10_000;

function* textChunks(rows: Iterable<ReadonlyArray<string | null>>): Generator<string> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(row.map((field) => (field === null ? '\\N' : escapeField(field))).join('\t'));
    if (lines.length === LINES_PER_CHUNK) {
      yield `${lines.join('\n')}\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\n')}\n`;
}

/** COPY's text format gives backslash, tab, newline and carriage return a meaning of their own. */
function escapeField(field: string): string {
  return /[\\\t\n\r]/.test(field) ? field.replace(/[\\\t\n\r]/g, (character) => ESCAPES[character]!) : field;
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
