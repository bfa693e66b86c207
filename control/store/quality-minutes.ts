/**
 * Per-minute quality rows in PostgreSQL (quality_minutes): a group of rows in one statement, added
 * to what the same minute, scope and node already has (a minute may arrive in two groups), and
 * read back summed over a period for history and charts.
 */
import { pgp, type Db } from '../../common/db/database.ts';
import { emptyCounts, type QualityCounts } from '../core/quality/quality-counts.ts';
import type { Scope, ScopeKind } from '../core/quality/quality-sample.ts';
import type { MinuteRow } from '../core/quality/quality-stream.ts';

const COLUMNS = new pgp.helpers.ColumnSet([
  { name: 'minute', cast: 'timestamptz' }, 'scope_kind', 'scope_id', 'destination_id', 'node_id',
  { name: 'attempts', cast: 'bigint' }, { name: 'answered', cast: 'bigint' }, { name: 'ner_effective', cast: 'bigint' },
  { name: 'talk_ms', cast: 'bigint' }, { name: 'pdd_ms_sum', cast: 'bigint' }, { name: 'pdd_samples', cast: 'bigint' },
  { name: 'short_calls', cast: 'bigint' }, { name: 'cutoffs', cast: 'bigint' }, { name: 'watch_listed', cast: 'bigint' },
  { name: 'rejects', cast: 'jsonb' },
], { table: 'quality_minutes' });

const SUMMED = ['attempts', 'answered', 'ner_effective', 'talk_ms', 'pdd_ms_sum', 'pdd_samples', 'short_calls', 'cutoffs', 'watch_listed'] as const;

/** Adds two reason → count objects (jsonb), key by key. */
const MERGE_REJECTS = `(select coalesce(jsonb_object_agg(key, total), '{}'::jsonb) from (
  select key, sum(value::bigint) as total from (
    select * from jsonb_each_text(quality_minutes.rejects) union all select * from jsonb_each_text(excluded.rejects)) pairs
  group by key) sums)`;

export interface QualityPoint {
  readonly minute_ms: number;
  readonly counts: QualityCounts;
}

export class QualityMinuteStore {
  constructor(private readonly db: Db, private readonly node_id: string) {}

  async add(rows: readonly MinuteRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((row) => ({
      minute: new Date(row.minute_ms).toISOString(), scope_kind: row.scope.kind, scope_id: row.scope.id, destination_id: row.scope.destination_id,
      node_id: this.node_id, ...Object.fromEntries(SUMMED.map((field) => [field, String(Math.round(row.counts[field]))])), rejects: JSON.stringify(row.counts.rejects),
    }));
    const insert = pgp.helpers.insert(values, COLUMNS);
    const updates = SUMMED.map((field) => `${field} = quality_minutes.${field} + excluded.${field}`).join(', ');
    await this.db.none(`${insert} on conflict (scope_kind, scope_id, destination_id, minute, node_id) do update set ${updates}, rejects = ${MERGE_REJECTS}`);
  }

  /** Minute by minute over [from, to), all nodes summed. */
  async series(scope: Scope, from: Date, to: Date): Promise<QualityPoint[]> {
    const rows = await this.db.any<Record<string, unknown>>(
      `select extract(epoch from minute)::bigint * 1000 as minute_ms, ${SUMMED.map((field) => `sum(${field})::bigint as ${field}`).join(', ')}
       from quality_minutes where scope_kind = $1 and scope_id = $2 and destination_id = $3 and minute >= $4 and minute < $5
       group by minute order by minute`,
      [scope.kind, scope.id, scope.destination_id, from, to],
    );
    return rows.map((row) => ({ minute_ms: Number(row['minute_ms']), counts: countsOf(row) }));
  }

  /** Each scope of a kind summed over [from, to). */
  async totals(kind: ScopeKind, from: Date, to: Date): Promise<Array<{ scope: Scope; counts: QualityCounts }>> {
    const rows = await this.db.any<Record<string, unknown>>(
      `select scope_id, destination_id, ${SUMMED.map((field) => `sum(${field})::bigint as ${field}`).join(', ')}
       from quality_minutes where scope_kind = $1 and minute >= $2 and minute < $3 group by scope_id, destination_id`,
      [kind, from, to],
    );
    return rows.map((row) => ({ scope: { kind, id: String(row['scope_id']), destination_id: String(row['destination_id']) }, counts: countsOf(row) }));
  }
}

function countsOf(row: Record<string, unknown>): QualityCounts {
  const counts = emptyCounts();
  for (const field of SUMMED) counts[field] = Number(row[field] ?? 0);
  return counts;
}
