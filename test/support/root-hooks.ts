/**
 * Mocha root hooks for the integration tests: when no PostgreSQL answers at the test server's
 * address (and none is named by MINUTEX_TEST_DATABASE_URL), start an embedded one for the run.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../common/db/database.ts';
import { createLogger } from '../../common/logger.ts';

const EMBEDDED_TEST_PORT = 54392;
let embedded: EmbeddedDatabase | undefined;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    if (process.env['MINUTEX_TEST_DATABASE_URL'] !== undefined) return;
    if (await reachable('127.0.0.1', 5432)) return;
    this.timeout(60_000);
    embedded = await startEmbeddedPostgres(path.join(os.tmpdir(), 'minutex-test-pg', 'pgdata'), EMBEDDED_TEST_PORT, createLogger('silent'));
    const url = new URL(embedded.url);
    url.pathname = '/postgres';
    process.env['MINUTEX_TEST_DATABASE_URL'] = url.toString();
    console.log(`  (no PostgreSQL at 127.0.0.1:5432: using an embedded one on port ${EMBEDDED_TEST_PORT})`);
  },
  async afterAll() {
    await embedded?.stop();
  },
};
