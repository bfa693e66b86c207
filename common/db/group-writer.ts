/**
 * Group commit for small writes on a hot path: one write in flight at a time, and whatever arrives
 * meanwhile is written together as the next batch. At low load a row is written at once; under
 * load many rows share one round trip, so the database is not asked for one statement per call.
 */
export class GroupWriter<Row, Result = void> {
  private queue: Array<{ row: Row; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  /**
   * `write` stores a batch (at most `maxBatch` rows) in one statement or transaction and returns
   * one result per row, in order (or nothing when Result is void).
   */
  constructor(private readonly write: (rows: readonly Row[]) => Promise<readonly Result[] | void>, private readonly maxBatch = 500) {}

  add(row: Row): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((entry) => entry.row));
        batch.forEach((entry, index) => entry.resolve((results ? results[index] : undefined) as Result));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.writing = false;
  }
}
