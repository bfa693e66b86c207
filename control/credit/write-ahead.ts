/**
 * The node's write-ahead file of route decisions: before a route answer leaves for the switch,
 * the reservation it holds (and what the call row needs) is appended to a local file with one
 * write system call, so the kernel has it even if this process dies the next instant. PostgreSQL
 * gets the same rows a little later, in groups (reservation-journal.ts); once everything in the
 * file has landed there, the file is emptied.
 *
 * At start, before the node's old leases are closed, whatever the file holds is written to
 * PostgreSQL (idempotently: rows already there are left alone), so a call routed just before a
 * crash keeps its reservation and its call row, and reconciliation finds it like any other.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { writeDecisionRows } from './decision-rows.ts';

/** What a call row needs, as the decision knew it. */
export interface DecidedCall {
  readonly ingress_trunk_id: string;
  readonly dialled_number: string;
  readonly destination_id: string;
  readonly offered_routes: ReadonlyArray<{ trade_id: string; seller_id: string; trunk_id: string }>;
  readonly setup_us: string;
}

export type WriteAheadEntry =
  | {
      readonly t: 'reserve'; readonly call_id: string; readonly node_id: string; readonly lease_id: string; readonly carrier_id: string;
      readonly currency: string; readonly amount_micros: string; readonly planned_end_ms: string; readonly legs: string;
      readonly fee_per_minute_micros: string; readonly slack_ms: string; readonly call?: DecidedCall;
    }
  | { readonly t: 'change'; readonly call_id: string; readonly amount_micros: string; readonly planned_end_ms: string; readonly answered_leg: number | null }
  | { readonly t: 'void'; readonly call_id: string };

/** The file is emptied once it is past this size and everything in it is in PostgreSQL. */
const TRUNCATE_AFTER_BYTES = 1024 * 1024;

export class WriteAheadFile {
  private readonly fd: number;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a', 0o600);
  }

  /** One line, one write system call: in the kernel when this returns. */
  append(entry: WriteAheadEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  /** Everything appended so far is in PostgreSQL: empty the file once it has grown. */
  drained(): void {
    if (fstatSync(this.fd).size > TRUNCATE_AFTER_BYTES) ftruncateSync(this.fd, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Writes what a previous run's file holds to PostgreSQL (call rows, reservations, their last
 * change, voids), in one transaction, then empties the file. Returns how many reservations it held.
 */
export async function recoverWriteAhead(db: Db, file: string, log: Logger): Promise<number> {
  if (!existsSync(file)) return 0;
  const reserves = new Map<string, Extract<WriteAheadEntry, { t: 'reserve' }>>();
  const changes = new Map<string, Extract<WriteAheadEntry, { t: 'change' }>>();
  const voids = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let entry: WriteAheadEntry;
    try {
      entry = JSON.parse(line) as WriteAheadEntry;
    } catch {
      // A line cut short by the crash itself: the decision it began never reached the switch.
      log.warn({ file }, 'skipping an incomplete line of the write-ahead file');
      continue;
    }
    if (entry.t === 'reserve') reserves.set(entry.call_id, entry);
    else if (entry.t === 'change') changes.set(entry.call_id, entry);
    else voids.add(entry.call_id);
  }
  if (reserves.size > 0) {
    await db.tx('recover-write-ahead', (t) => writeDecisionRows(t, [...reserves.values()], [...changes.values()], [...voids]));
    log.info({ reservations: reserves.size, changes: changes.size, voids: voids.size }, 'write-ahead file of the previous run recovered');
  }
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
  return reserves.size;
}
