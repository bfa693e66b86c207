/**
 * Group commit for small writes on a hot path: one write in flight at a time, and whatever arrives
 * meanwhile is written together as the next batch. At low load a row is written at once; under
 * load many rows share one round trip, so the database is not asked for one statement per call.
 */
export class GroupWriter<Row> {
  private queue: Array<{ row: Row; resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  /** `write` stores a batch (at most `maxBatch` rows) in one statement or transaction. */
  constructor(private readonly write: (rows: readonly Row[]) => Promise<void>, private readonly maxBatch = 500) {}

  add(row: Row): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.write(batch.map((entry) => entry.row));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
