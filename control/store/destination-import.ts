/**
 * Writes an imported destination table in one transaction: destinations are created by name when
 * new, and each prefix is added or moved to its destination. A line without an effective date
 * keeps a prefix's effective time when the prefix stays where it was (re-importing the same table
 * changes nothing) and takes effect now when the prefix is new or moves.
 */
import type { Db } from '../../common/db/database.ts';
import { audit } from './audit.ts';

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

/** Prefixes per statement: keeps each statement's arrays a reasonable size. */
const PREFIXES_PER_STATEMENT = 5_000;

const UPSERT_PREFIXES_SQL = `
  with input (prefix, destination_id, effective_from) as (
    select * from unnest($1::text[], $2::uuid[], $3::timestamptz[])
  ), upserted as (
    insert into destination_prefixes (prefix, destination_id, effective_from)
    select i.prefix, i.destination_id,
           coalesce(i.effective_from, case when p.destination_id = i.destination_id then p.effective_from else now() end)
    from input i left join destination_prefixes p on p.prefix = i.prefix
    on conflict (prefix) do update set destination_id = excluded.destination_id, effective_from = excluded.effective_from
      where (destination_prefixes.destination_id, destination_prefixes.effective_from) is distinct from (excluded.destination_id, excluded.effective_from)
    returning (xmax = 0) as inserted
  )
  select count(*) filter (where inserted) as created, count(*) filter (where not inserted) as updated from upserted`;

export async function importDestinations(db: Db, rows: readonly ImportedPrefix[], actor: string): Promise<DestinationImportCounts> {
  const names = [...new Set(rows.map((row) => row.name))];
  return db.tx('destination-import', async (t) => {
    const created = await t.any<{ id: string }>(
      'insert into destinations (name) select unnest($1::text[]) on conflict (name) do nothing returning id', [names]);
    const ids = new Map((await t.any<{ id: string; name: string }>('select id, name from destinations where name = any($1::text[])', [names]))
      .map((row) => [row.name, row.id]));
    let prefixes_created = 0n;
    let prefixes_updated = 0n;
    for (let start = 0; start < rows.length; start += PREFIXES_PER_STATEMENT) {
      const chunk = rows.slice(start, start + PREFIXES_PER_STATEMENT);
      const counts = await t.one<{ created: bigint; updated: bigint }>(UPSERT_PREFIXES_SQL, [
        chunk.map((row) => row.prefix),
        chunk.map((row) => ids.get(row.name)),
        chunk.map((row) => (row.effective_from_ms === null ? null : new Date(row.effective_from_ms))),
      ]);
      prefixes_created += counts.created;
      prefixes_updated += counts.updated;
    }
    const counts: DestinationImportCounts = {
      destinations_created: created.length,
      prefixes_created: Number(prefixes_created),
      prefixes_updated: Number(prefixes_updated),
      prefixes_unchanged: rows.length - Number(prefixes_created) - Number(prefixes_updated),
    };
    await audit(t, actor, 'destination.import', 'destinations', { lines: rows.length, ...counts });
    return counts;
  });
}
