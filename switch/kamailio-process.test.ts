import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../common/logger.ts';
import { findLeftovers, startKamailio, superviseKamailio, type KamailioRestart } from './kamailio-process.ts';
import { isAlive, listProcesses } from './process-table.ts';

/**
 * A stand-in for Kamailio that behaves as it does here: a main process that forks workers which
 * outlive it when it is killed. It takes Kamailio's arguments and ignores them.
 */
function fakeKamailio(dir: string): string {
  const bin = path.join(dir, 'fake-kamailio.sh');
  writeFileSync(bin, '#!/bin/sh\nsleep 600 &\nsleep 600 &\nwait\n');
  chmodSync(bin, 0o755);
  return bin;
}

const log = createLogger('silent');
const members = (pgid: number) => listProcesses().filter((entry) => entry.pgid === pgid && entry.state !== 'Z').map((entry) => entry.pid);

async function until<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

describe('Kamailio process supervision', function () {
  this.timeout(20_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minutex-supervise-'));
  const options = { bin: fakeKamailio(dir), configFile: path.join(dir, 'kamailio.cfg'), runDir: path.join(dir, 'run'), shmMb: 64, pkgMb: 8 };

  it('ends the workers of a main process killed with SIGKILL, restarts it with a growing delay, and stops for good', async () => {
    const supervisor = superviseKamailio(options, log, { minDelayMs: 100, maxDelayMs: 400, stableAfterMs: 60_000 });
    const restarts: KamailioRestart[] = [];
    supervisor.onRestarted((restart) => restarts.push(restart));
    const first = supervisor.pid!;
    const workers = await until(() => (members(first).length === 3 ? members(first).filter((pid) => pid !== first) : undefined), 5000);

    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    await until(() => restarts[0], 5000);
    expect(Date.now() - killedAt).to.be.at.least(100);
    expect(restarts[0]).to.deep.include({ restarts: 1, previous: { code: null, signal: 'SIGKILL' } });
    expect(workers.filter(isAlive)).to.deep.equal([]);
    expect(supervisor.running).to.equal(true);

    // A second death right away waits twice as long.
    const second = supervisor.pid!;
    const secondKilledAt = Date.now();
    process.kill(second, 'SIGKILL');
    await until(() => restarts[1], 5000);
    expect(Date.now() - secondKilledAt).to.be.at.least(200);

    const last = supervisor.pid!;
    await supervisor.stop();
    expect(supervisor.running).to.equal(false);
    expect(members(last)).to.deep.equal([]);
    await sleep(300);
    expect(restarts).to.have.length(2);
  });

  it('ends leftovers of an earlier run with the same config before starting', async () => {
    const leftover = spawn(options.bin, ['-f', options.configFile], { detached: true, stdio: 'ignore' });
    await until(() => (findLeftovers(options.configFile).includes(leftover.pid!) ? true : undefined), 5000);
    const leftoverGroup = await until(() => (members(leftover.pid!).length === 3 ? members(leftover.pid!) : undefined), 5000);
    const kamailio = startKamailio(options, log);
    try {
      expect(leftoverGroup.filter(isAlive), 'the leftover and its whole group are ended').to.deep.equal([]);
      expect(findLeftovers(options.configFile)).to.include(kamailio.pid);
    } finally {
      await kamailio.stop();
    }
    expect(findLeftovers(options.configFile)).to.deep.equal([]);
  });
});
