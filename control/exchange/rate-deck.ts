/**
 * Replacing a seller's rate deck, as one exchange command: the open orders of the carrier's
 * earlier decks are cancelled and each line of the new deck is submitted as a sell order, in the
 * engine and in one write batch. Orders of earlier decks that are already filled stay, with their
 * trades: their channels are committed to buyers, and the seller ends them by cancelling them.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import type { MatchingEngine } from '../core/matching/engine.ts';
import type { CsvProblem } from './destination-csv.ts';
import { newOrderRow, orderSpec, rejectionOf } from './order-specs.ts';
import type { DeckLine } from './rate-deck-csv.ts';
import type { WriteBatch } from './write-batch.ts';

export type { DeckLine } from './rate-deck-csv.ts';

export type DeckOutcome =
  | {
      readonly ok: true;
      readonly rate_deck_id: string;
      readonly orders_submitted: number;
      readonly orders_cancelled: number;
      readonly trade_ids: readonly string[];
    }
  | { readonly ok: false; readonly reason: 'unknown_carrier' | 'carrier_suspended'; readonly message: string; readonly engine_moved: false }
  | { readonly ok: false; readonly reason: 'invalid_rows'; readonly message: string; readonly problems: readonly CsvProblem[]; readonly engine_moved: boolean };

export interface DeckContext {
  readonly db: Db;
  readonly engine: MatchingEngine;
  readonly batch: WriteBatch;
  readonly now_ms: number;
}

export async function replaceDeckIn(context: DeckContext, carrier_id: string, currency: string, lines: readonly DeckLine[], actor: string): Promise<DeckOutcome> {
  const { db, engine, batch, now_ms } = context;
  const carrier = await db.oneOrNone<{ status: string }>('select status from carriers where id = $1', [carrier_id]);
  if (!carrier) return { ok: false, reason: 'unknown_carrier', message: 'unknown carrier', engine_moved: false };
  if (carrier.status !== 'active') return { ok: false, reason: 'carrier_suspended', message: 'the carrier is suspended', engine_moved: false };
  const resolved = await resolveDestinations(db, lines);
  if (!resolved.ok) return { ok: false, reason: 'invalid_rows', message: 'the deck has lines that cannot be used', problems: resolved.problems, engine_moved: false };

  const previous = await db.map<string>(
    `select id from orders where carrier_id = $1 and rate_deck_id is not null and status = 'open' order by seq`, [carrier_id], (row: { id: string }) => row.id);
  const seqs = (await db.map<bigint>(`select nextval(pg_get_serial_sequence('orders', 'seq')) as seq from generate_series(1, $1)`, [lines.length],
    (row: { seq: bigint }) => row.seq)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rate_deck_id = randomUUID();
  batch.addFirst('insert into rate_decks (id, carrier_id, currency, lines) values ($1, $2, $3, $4)', [rate_deck_id, carrier_id, currency, lines.length]);
  for (const order_id of previous) batch.persistEvents(engine.apply({ kind: 'cancel', order_id, now_ms }));

  const problems: CsvProblem[] = [];
  lines.forEach((line, index) => {
    const spec = orderSpec(
      { ...line, carrier_id, side: 'sell', currency, quality: null, valid_until_ms: null },
      randomUUID(), seqs[index]!, resolved.destinations[index]!,
    );
    const events = engine.apply({ kind: 'submit', order: spec, now_ms });
    const rejected = rejectionOf(events, spec.order_id);
    if (rejected !== undefined) problems.push({ line: line.line, reason: 'rejected', message: `order rejected: ${rejected}` });
    else batch.insertOrder(newOrderRow(spec, null, rate_deck_id));
    batch.persistEvents(events);
  });
  if (problems.length > 0) return { ok: false, reason: 'invalid_rows', message: 'the exchange refused orders of the deck', problems, engine_moved: true };
  batch.audit(actor, 'rate_deck.replace', `carrier:${carrier_id}`, {
    rate_deck_id, currency, lines: lines.length, orders_cancelled: previous.length, trades: batch.madeTradeIds,
  });
  return { ok: true, rate_deck_id, orders_submitted: lines.length, orders_cancelled: previous.length, trade_ids: batch.madeTradeIds };
}

/** The destination of each line, by prefix or by name; a destination may appear on one line only. */
async function resolveDestinations(db: Db, lines: readonly DeckLine[]): Promise<{ ok: true; destinations: string[] } | { ok: false; problems: CsvProblem[] }> {
  const prefixes = lines.flatMap((line) => ('prefix' in line.destination ? [line.destination.prefix] : []));
  const names = lines.flatMap((line) => ('name' in line.destination ? [line.destination.name] : []));
  const byPrefix = new Map((await db.any<{ prefix: string; destination_id: string }>(
    'select prefix, destination_id from destination_prefixes where prefix = any($1::text[])', [prefixes])).map((row) => [row.prefix, row.destination_id]));
  const byName = new Map((await db.any<{ name: string; id: string }>(
    'select name, id from destinations where name = any($1::text[])', [names])).map((row) => [row.name, row.id]));
  const destinations: string[] = [];
  const problems: CsvProblem[] = [];
  const lineOf = new Map<string, number>();
  for (const line of lines) {
    const key = 'prefix' in line.destination ? line.destination.prefix : line.destination.name;
    const destination_id = 'prefix' in line.destination ? byPrefix.get(key) : byName.get(key);
    if (destination_id === undefined) {
      problems.push({ line: line.line, reason: 'unknown_destination', message: `no destination has ${'prefix' in line.destination ? 'prefix' : 'name'} '${key}'` });
      continue;
    }
    const earlier = lineOf.get(destination_id);
    if (earlier !== undefined) problems.push({ line: line.line, reason: 'duplicate_destination', message: `the destination of '${key}' is already on line ${earlier}` });
    else lineOf.set(destination_id, line.line);
    destinations.push(destination_id);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, destinations };
}
