/**
 * Applies the numbered SQL files in db/migrations in order, each in its own transaction, and
 * records them in schema_migrations. An advisory lock makes concurrent starts take turns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './database.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../db/migrations');
const MIGRATION_LOCK_KEY = 774_411_001;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(path.join(dir, file), 'utf8'),
    }));
}

/** Returns the versions it applied (empty when the schema was already current). */
export async function migrate(db: Db, migrations = listMigrations()): Promise<number[]> {
  return db.tx('migrate', async (tx) => {
    await tx.one('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.none(`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.map('select version from schema_migrations', [], (row: { version: number }) => row.version)));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.none(migration.sql);
      await tx.none('insert into schema_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}
