/**
 * The newcomer's path: minutex started with no DATABASE_URL starts its own embedded PostgreSQL,
 * migrates it, starts Kamailio and answers /healthz with 200.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startSystem, type System } from '../../control/system.ts';

describe('minutex without DATABASE_URL', function () {
  this.timeout(120_000);
  let system: System | undefined;
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-embedded-'));

  after(async () => {
    await system?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('comes up healthy on its embedded PostgreSQL', async () => {
    const config = loadConfig({
      MINUTEX_RUN_DIR: runDir,
      MINUTEX_EMBEDDED_PG_PORT: '54393',
      MINUTEX_OPERATOR_TOKEN: 'embedded-test-operator-token',
      MINUTEX_SIP_ADDR: '127.0.0.1:6460',
      MINUTEX_EVAPI_ADDR: '127.0.0.1:9848',
      MINUTEX_JSONRPC_ADDR: '127.0.0.1:6471',
      MINUTEX_API_ADDR: '127.0.0.1:9480',
      MINUTEX_KAMAILIO_SHM_MB: '128',
      MINUTEX_KAMAILIO_CHILDREN: '2',
      MINUTEX_LOG_LEVEL: 'silent',
    });
    expect(config.databaseUrl).to.equal(undefined);
    system = await startSystem(config, createLogger('silent'));
    await system.waitForSwitch(20_000);
    const health = await fetch(`${system.apiUrl}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.include({ status: 'ok', database: true, switch: true, agent: true });
    const migrated = await system.db.one<{ count: bigint }>('select count(*) as count from schema_migrations');
    expect(Number(migrated.count)).to.be.greaterThan(3);
  });
});
