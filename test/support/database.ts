/**
 * A fresh, migrated PostgreSQL database for one test file, dropped afterwards. It uses the server
 * named by MINUTEX_TEST_DATABASE_URL (default: the local server at 127.0.0.1:5432, database
 * "postgres"), so tests never touch a database that holds anything else.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Db } from '../../common/db/database.ts';
import { migrate } from '../../common/db/migrate.ts';

/** Read when a database is made, so the root hooks can point it at an embedded server first. */
export function testServerUrl(): string {
  return process.env['MINUTEX_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  readonly url: string;
  readonly db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `minutex_test_${randomBytes(5).toString('hex')}`;
  const admin = connect(testServerUrl(), 1);
  await admin.none('create database $1:name', [name]);
  await admin.$pool.end();
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  const db = connect(url.toString(), 5);
  await migrate(db);
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.$pool.end();
      const cleanup = connect(testServerUrl(), 1);
      await cleanup.none('drop database if exists $1:name with (force)', [name]);
      await cleanup.$pool.end();
    },
  };
}
