/**
 * Writes the reservations a node serves from its leases to credit_reservations after the route
 * answer, in groups: the decision does not wait for it. The row is what billing settles against
 * (charged ≤ reserved, the lease's share) and what reconciliation finds after a restart; until it
 * lands, the money is safe in the lease, which PostgreSQL already counts.
 *
 * Rows wait at most `linger_ms` so that calls set up together share one statement. A failed write
 * is retried with backoff until it lands; the queue is bounded (`max_backlog`): past it, new calls
 * are refused at setup (fail closed) rather than held in memory without end.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import type { Tariff } from '../../billing/core/rating.ts';
import { legsToJson } from './stored-legs.ts';
import type { DecidedCall, WriteAheadFile } from './write-ahead.ts';
import { writeDecisionRows, type ChangeEntry, type ReserveEntry } from './decision-rows.ts';

export interface JournalledReservation {
  readonly call_id: string;
  readonly node_id: string;
  readonly lease_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  readonly amount_micros: bigint;
  readonly planned_end_ms: bigint;
  readonly legs: readonly Tariff[];
  readonly fee_per_minute_micros: bigint;
  readonly slack_ms: bigint;
  /** What the call row needs, kept in the write-ahead file until the rows are in PostgreSQL. */
  readonly call?: DecidedCall;
}

export interface ReservationChange {
  readonly call_id: string;
  readonly amount_micros: bigint;
  readonly planned_end_ms: bigint;
  readonly answered_leg: number | null;
}

export interface JournalSettings {
  readonly linger_ms: number;
  readonly max_batch: number;
  readonly max_backlog: number;
}

export const DEFAULT_JOURNAL_SETTINGS: JournalSettings = { linger_ms: 100, max_batch: 1000, max_backlog: 50_000 };

const MAX_RETRY_DELAY_MS = 5_000;

interface Batch {
  readonly inserts: Map<string, JournalledReservation>;
  readonly changes: Map<string, ReservationChange>;
  readonly voids: Set<string>;
  readonly landed: Promise<void>;
  resolve(): void;
}

export class ReservationJournal {
  private current: Batch = newBatch();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  /** The batch each call's row was queued in, until that batch lands. */
  private readonly pendingInsert = new Map<string, Batch>();
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly settings: JournalSettings = DEFAULT_JOURNAL_SETTINGS,
    /** Where every row goes first, synchronously, before the route answer leaves (none in unit uses). */
    private readonly writeAhead?: WriteAheadFile,
  ) {}

  /** Rows waiting to be written; the route decision refuses new calls when it is at the bound. */
  get backlog(): number {
    return this.pendingInsert.size;
  }

  get full(): boolean {
    return this.pendingInsert.size >= this.settings.max_backlog;
  }

  insert(row: JournalledReservation): void {
    this.writeAhead?.append(reserveEntry(row));
    this.current.inserts.set(row.call_id, row);
    this.pendingInsert.set(row.call_id, this.current);
    this.schedule();
  }

  change(change: ReservationChange): void {
    this.writeAhead?.append(changeEntry(change));
    this.current.changes.set(change.call_id, change);
    this.schedule();
  }

  /** The call was dropped before it could cost anything (a decision too late, a setup that failed). */
  void(call_id: string): void {
    this.writeAhead?.append({ t: 'void', call_id });
    this.current.voids.add(call_id);
    this.schedule();
  }

  /** Resolves when the call's row is in PostgreSQL (at once when it already is, or never was queued). */
  async landed(call_id: string): Promise<void> {
    await this.pendingInsert.get(call_id)?.landed;
  }

  /** Writes what is queued and stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing || !isEmpty(this.current)) {
      if (!this.writing) this.flush();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing || this.timer) return;
    const size = this.current.inserts.size + this.current.changes.size;
    if (size >= this.settings.max_batch || this.stopped) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.settings.linger_ms);
  }

  private flush(): void {
    if (this.writing || isEmpty(this.current)) return;
    const batch = this.current;
    this.current = newBatch();
    this.writing = this.writeUntilLanded(batch).finally(() => {
      this.writing = null;
      if (!isEmpty(this.current)) this.schedule();
    });
  }

  private async writeUntilLanded(batch: Batch): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.write(batch);
        break;
      } catch (error) {
        const delay_ms = Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS);
        this.log.error({ err: error, rows: batch.inserts.size, retry_in_ms: delay_ms }, 'writing reservations failed: retrying');
        await new Promise((resolve) => setTimeout(resolve, delay_ms));
      }
    }
    for (const call_id of batch.inserts.keys()) if (this.pendingInsert.get(call_id) === batch) this.pendingInsert.delete(call_id);
    batch.resolve();
    // Nothing queued behind this batch: everything in the write-ahead file is in PostgreSQL.
    if (isEmpty(this.current)) this.writeAhead?.drained();
  }

  private async write(batch: Batch): Promise<void> {
    const reserves = [...batch.inserts.values()].map(reserveEntry);
    const changes = [...batch.changes.values()].map(changeEntry);
    const voids = [...batch.voids];
    await this.db.tx('journal-reservations', (t) => writeDecisionRows(t, reserves, changes, voids));
  }
}

function newBatch(): Batch {
  let resolve: () => void = () => undefined;
  const landed = new Promise<void>((done) => {
    resolve = done;
  });
  return { inserts: new Map(), changes: new Map(), voids: new Set(), landed, resolve };
}

function isEmpty(batch: Batch): boolean {
  return batch.inserts.size === 0 && batch.changes.size === 0 && batch.voids.size === 0;
}

/** A reservation as the write-ahead file and the grouped write both take it (exact decimal strings). */
function reserveEntry(row: JournalledReservation): ReserveEntry {
  return {
    t: 'reserve', call_id: row.call_id, node_id: row.node_id, lease_id: row.lease_id, carrier_id: row.carrier_id, currency: row.currency,
    amount_micros: row.amount_micros.toString(), planned_end_ms: row.planned_end_ms.toString(), legs: legsToJson(row.legs),
    fee_per_minute_micros: row.fee_per_minute_micros.toString(), slack_ms: row.slack_ms.toString(), ...(row.call ? { call: row.call } : {}),
  };
}

function changeEntry(change: ReservationChange): ChangeEntry {
  return { t: 'change', call_id: change.call_id, amount_micros: change.amount_micros.toString(), planned_end_ms: change.planned_end_ms.toString(), answered_leg: change.answered_leg };
}
