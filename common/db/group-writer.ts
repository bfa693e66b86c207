/**
 * Group commit for small writes on a hot path: one write in flight at a time, and whatever arrives
 * meanwhile is written together as the next batch. At low load a row is written at once; under
 * load many rows share one round trip, so the database is not asked for one statement per call.
 *
 * One bad row must not fail the rows that share its statement: when a batch fails with an error
 * that a row's own data can cause (a constraint or a bad value), the batch is split in halves and
 * each half written again, down to the single row, which alone gets a RowRefusedError. Other
 * errors (the database down, a timeout) say nothing about the rows: the whole batch gets them, and
 * its callers decide whether to try again.
 */

/** A row the database refused on its own: writing it again can never succeed. */
export class RowRefusedError extends Error {
  override name = 'RowRefusedError';
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** PostgreSQL's SQLSTATE of an error, when it came from the server. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Errors one row's data can cause: class 22 (data exception, e.g. a value too long) and class 23
 * (integrity constraint violation). Anything else is about the database, not the row.
 */
export function isRowError(error: unknown): boolean {
  if (error instanceof RowRefusedError) return true;
  const state = sqlState(error);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

interface Entry<Row, Result> {
  row: Row;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupWriter<Row, Result = void> {
  private queue: Array<Entry<Row, Result>> = [];
  private writing = false;
  private flushing = false;
  private drained: Promise<void> = Promise.resolve();
  private endLinger: (() => void) | undefined;

  /**
   * `write` stores a batch (at most `maxBatch` rows) in one statement or transaction and returns
   * one result per row, in order (or nothing when Result is void). It must write all or none.
   */
  constructor(
    private readonly write: (rows: readonly Row[]) => Promise<readonly Result[] | void>,
    private readonly maxBatch = 500,
    /**
     * How long the first row of a batch waits for others, in ms (0: written at once). Rows nobody
     * waits on (call rows, answers, CDRs) linger, so a busy switch costs the database a statement
     * per batch rather than per call; a full batch is written without waiting.
     */
    private readonly lingerMs = 0,
  ) {}

  add(row: Row): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Writes what waits now, without lingering; resolves when nothing is left to write. */
  async flush(): Promise<void> {
    this.flushing = true;
    this.endLinger?.();
    while (this.writing) await this.drained;
    this.flushing = false;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    let done: () => void = () => undefined;
    this.drained = new Promise<void>((resolve) => {
      done = resolve;
    });
    if (this.lingerMs > 0 && !this.flushing && this.queue.length < this.maxBatch) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.lingerMs);
        this.endLinger = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.endLinger = undefined;
    }
    while (this.queue.length > 0) await this.writeBatch(this.queue.splice(0, this.maxBatch));
    this.writing = false;
    done();
  }

  private async writeBatch(batch: Array<Entry<Row, Result>>): Promise<void> {
    try {
      const results = await this.write(batch.map((entry) => entry.row));
      batch.forEach((entry, index) => entry.resolve((results ? results[index] : undefined) as Result));
    } catch (error) {
      if (!isRowError(error)) {
        for (const entry of batch) entry.reject(error);
      } else if (batch.length === 1) {
        batch[0]!.reject(error instanceof RowRefusedError ? error : new RowRefusedError(`row refused by the database: ${(error as Error).message}`, error));
      } else {
        // Bisection: a single bad row among n costs about 2 log2(n) more statements, not n.
        const half = Math.ceil(batch.length / 2);
        await this.writeBatch(batch.slice(0, half));
        await this.writeBatch(batch.slice(half));
      }
    }
  }
}
