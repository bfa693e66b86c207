/**
 * Writes an imported destination table in one transaction: destinations are created by name when
 * new, and each prefix is added or moved to its destination. A line without an effective date
 * keeps a prefix's effective time when the prefix stays where it was (re-importing the same table
 * changes nothing) and takes effect now when the prefix is new or moves.
 *
 * A table may hold a million prefixes, so the lines travel by COPY into a staging table and one
 * set-based statement writes them all. Each prefix written carries the import's id, by which every
 * node then reads just what the import changed (see routing-snapshot.ts).
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Db } from '../../common/db/database.ts';
import { audit } from './audit.ts';
import { copyIn } from './pg-copy.ts';

export interface ImportedPrefix {
  readonly prefix: string;
  readonly name: string;
  readonly effective_from_ms: number | null;
}

export interface DestinationImportCounts {
  /** Names the prefixes this import wrote (destination_prefixes.import_id). */
  readonly import_id: string;
  readonly destinations_created: number;
  readonly prefixes_created: number;
  readonly prefixes_updated: number;
  readonly prefixes_unchanged: number;
}

const UPSERT_PREFIXES_SQL = `
  with upserted as (
    insert into destination_prefixes (prefix, destination_id, effective_from, import_id)
    select s.prefix, d.id,
           coalesce(s.effective_from, case when p.destination_id = d.id then p.effective_from else now() end), $1::uuid
    from import_prefixes s
    join destinations d on d.name = s.name
    left join destination_prefixes p on p.prefix = s.prefix
    on conflict (prefix) do update set destination_id = excluded.destination_id, effective_from = excluded.effective_from, import_id = excluded.import_id
      where (destination_prefixes.destination_id, destination_prefixes.effective_from) is distinct from (excluded.destination_id, excluded.effective_from)
    returning (xmax = 0) as inserted
  )
  select count(*) filter (where inserted) as created, count(*) filter (where not inserted) as updated from upserted`;

export async function importDestinations(db: Db, rows: readonly ImportedPrefix[], actor: string): Promise<DestinationImportCounts> {
  const import_id = randomUUID();
  const connection = await db.connect();
  try {
    await connection.none('begin');
    try {
      await connection.none(`create temporary table import_prefixes (prefix text not null, name text not null, effective_from timestamptz)
        on commit drop`);
      await copyIn(connection.client as unknown as PoolClient, 'import_prefixes (prefix, name, effective_from)', stagedRows(rows));
      const created = await connection.one<{ count: bigint }>(`with created as (
          insert into destinations (name) select distinct name from import_prefixes on conflict (name) do nothing returning id
        ) select count(*) from created`);
      const upserted = await connection.one<{ created: bigint; updated: bigint }>(UPSERT_PREFIXES_SQL, [import_id]);
      const counts: DestinationImportCounts = {
        import_id,
        destinations_created: Number(created.count),
        prefixes_created: Number(upserted.created),
        prefixes_updated: Number(upserted.updated),
        prefixes_unchanged: rows.length - Number(upserted.created) - Number(upserted.updated),
      };
      await audit(connection, actor, 'destination.import', 'destinations', { lines: rows.length, ...counts });
      await connection.none('commit');
      return counts;
    } catch (error) {
      await connection.none('rollback').catch(() => undefined);
      throw error;
    }
  } finally {
    await connection.done();
  }
}

function* stagedRows(rows: readonly ImportedPrefix[]): Generator<Array<string | null>> {
  for (const row of rows) yield [row.prefix, row.name, row.effective_from_ms === null ? null : new Date(row.effective_from_ms).toISOString()];
}
