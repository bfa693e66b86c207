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
  readonly destinations_created: number;
  readonly prefixes_created: number;
  readonly prefixes_updated: number;
  readonly prefixes_unchanged: number;
}

export interface DestinationImport extends DestinationImportCounts {
  /** Names the prefixes this import wrote (destination_prefixes.import_id). */
  readonly import_id: string;
  /** The id of each destination the table names. */
  readonly destination_ids: ReadonlyMap<string, string>;
}

/**
 * From this many lines on, the foreign key and both indexes are dropped for the load and made
 * again after it (PostgreSQL docs, "Populating a Database"): kept up to date row by row they cost
 * several times the load itself, and made again they are checked and built in one pass each. The
 * prefix table is locked against readers meanwhile; calls do not read it, they route from memory.
 */
export const BULK_IMPORT_LINES = 50_000;

/** Memory each sort or hash of the import's statements may use, in MB. */
const IMPORT_WORK_MEM_MB = 128;

/** Prefixes that move or whose effective time changes. */
const UPDATE_PREFIXES_SQL = `
  update destination_prefixes p set destination_id = d.id, effective_from = coalesce(s.effective_from, now()), import_id = $1::uuid
  from import_prefixes s join destinations d on d.name = s.name
  where p.prefix = s.prefix
    and (p.destination_id, p.effective_from)
        is distinct from (d.id, coalesce(s.effective_from, case when p.destination_id = d.id then p.effective_from else now() end))`;

/** New prefixes; with the primary key in place, in key order so its index grows at its end. */
const INSERT_PREFIXES_SQL = `
  insert into destination_prefixes (prefix, destination_id, effective_from, import_id)
  select s.prefix, d.id, coalesce(s.effective_from, now()), $1::uuid
  from import_prefixes s join destinations d on d.name = s.name
  where not exists (select 1 from destination_prefixes p where p.prefix = s.prefix)`;

export async function importDestinations(db: Db, rows: readonly ImportedPrefix[], actor: string): Promise<DestinationImport> {
  const import_id = randomUUID();
  const bulk = rows.length >= BULK_IMPORT_LINES;
  const connection = await db.connect();
  try {
    await connection.none('begin');
    try {
      // The set-based statements sort and join every line: in memory, not in temporary files.
      await connection.none(`set local work_mem = '${IMPORT_WORK_MEM_MB}MB'`);
      // One import at a time, so a prefix cannot be inserted by two between the update and the insert.
      await connection.none(`lock table destination_prefixes in ${bulk ? 'access exclusive' : 'share row exclusive'} mode`);
      await connection.none(`create temporary table import_prefixes (prefix text collate "C" not null, name text not null, effective_from timestamptz)
        on commit drop`);
      await copyIn(connection.client as unknown as PoolClient, 'import_prefixes (prefix, name, effective_from)', stagedRows(rows));
      await connection.none('analyze import_prefixes');
      const created = await connection.one<{ count: bigint }>(`with created as (
          insert into destinations (name) select distinct name from import_prefixes on conflict (name) do nothing returning id
        ) select count(*) from created`);
      if (bulk) {
        await connection.none(`alter table destination_prefixes drop constraint destination_prefixes_destination_id_fkey,
          drop constraint destination_prefixes_pkey; drop index destination_prefixes_destination`);
      }
      const updated = await connection.result(UPDATE_PREFIXES_SQL, [import_id]);
      const inserted = await connection.result(bulk ? INSERT_PREFIXES_SQL : `${INSERT_PREFIXES_SQL} order by s.prefix`, [import_id]);
      if (bulk) {
        await connection.none(`alter table destination_prefixes add constraint destination_prefixes_pkey primary key (prefix);
          create index destination_prefixes_destination on destination_prefixes (destination_id);
          alter table destination_prefixes add constraint destination_prefixes_destination_id_fkey foreign key (destination_id) references destinations (id)`);
      }
      const named = await connection.any<{ id: string; name: string }>(
        'select id, name from destinations where name in (select distinct name from import_prefixes)');
      const counts: DestinationImportCounts = {
        destinations_created: Number(created.count),
        prefixes_created: inserted.rowCount,
        prefixes_updated: updated.rowCount,
        prefixes_unchanged: rows.length - inserted.rowCount - updated.rowCount,
      };
      await audit(connection, actor, 'destination.import', 'destinations', { lines: rows.length, import_id, ...counts });
      await connection.none('commit');
      return { ...counts, import_id, destination_ids: new Map(named.map((row) => [row.name, row.id])) };
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
