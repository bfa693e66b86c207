/**
 * The SIPp runner and our scenarios against real SIPp, with no switch in between: a caller
 * scenario on 127.0.0.2 calls an answering scenario on 127.0.0.3 directly. Each test uses its
 * own ports so that the tests can run back to back while the previous SIPp lets go of its socket.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  runSipp, SCENARIO_DIRECTORY, SIPP_EXIT_CODES, startSipp, stopAllSipp, type SippCallerOptions, type SippResult,
} from '../../sipp/runner.ts';

const CALLER_IP = '127.0.0.2';
const ANSWERER_IP = '127.0.0.3';
const NUMBER = '442079460000';
const RUNNER_MODULE = path.resolve(import.meta.dirname, '../../sipp/runner.ts');

describe('SIPp runner and scenarios (real SIPp)', function () {
  this.timeout(30_000);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-sipp-runner-'));

  /** A caller on CALLER_IP:callerPort placing `calls` calls to ANSWERER_IP:answererPort. */
  const caller = (scenario: string, callerPort: number, answererPort: number, more: Partial<SippCallerOptions> = {}): SippCallerOptions => ({
    scenario, localAddress: CALLER_IP, localPort: callerPort, remote: `${ANSWERER_IP}:${answererPort}`,
    service: NUMBER, calls: 1, maxRunMs: 10_000, ...more,
  });
  const answerer = (scenario: string, port: number, more: { calls?: number; callDurationMs?: number } = {}) =>
    startSipp({ scenario, localAddress: ANSWERER_IP, localPort: port, maxRunMs: 15_000, ...more }, workDir);

  /** A variant of one of our scenarios, written to the work folder; fails if a change did not apply. */
  const variant = (name: string, source: string, replacements: ReadonlyArray<readonly [string, string]>): string => {
    let text = readFileSync(path.join(SCENARIO_DIRECTORY, source), 'utf8');
    for (const [from, to] of replacements) {
      expect(text, `${source} contains ${from}`).to.include(from);
      text = text.split(from).join(to);
    }
    const file = path.join(workDir, name);
    writeFileSync(file, text);
    return file;
  };
  const busyWithoutReason = () => variant('uas-busy-486-without-reason.xml', 'uas-busy-486.xml', [['      Reason: SIP;cause=486;text="Busy Here"\n', '']]);

  after(async () => {
    await stopAllSipp();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('answers three calls: three successes on both sides, and the answerer got each BYE', async () => {
    const seller = answerer('uas-answer.xml', 5180, { calls: 3 });
    await seller.ready;
    const buyer = startSipp(caller('uac-call-expect-200.xml', 5170, 5180, { calls: 3, ratePerSecond: 10, callDurationMs: 200 }), workDir);
    const bought = await buyer.done;
    const sold = await seller.done;
    expect(bought, bought.stderr).to.include({ exitCode: SIPP_EXIT_CODES.allCallsSuccessful, successfulCalls: 3, failedCalls: 0, totalCalls: 3 });
    expect(sold, sold.stderr).to.include({ exitCode: 0, successfulCalls: 3, failedCalls: 0, totalCalls: 3, timedOut: false, stopped: false });
    // SIPp's Call-IDs are <call number>-<SIPp's process id>@<local address>.
    const callIds = [1, 2, 3].map((number) => `${number}-${buyer.pid}@${CALLER_IP}`);
    expect(sold.receivedByeCallIds).to.have.members(callIds);
    expect(bought.receivedByeCallIds, 'the caller hung up itself').to.deep.equal([]);
  });

  const pairs = [[486, 'uas-busy-486.xml', 'Busy Here', 5171, 5181], [503, 'uas-unavailable-503.xml', 'Service Unavailable', 5172, 5182]] as const;
  for (const [code, seller, phrase, callerPort, answererPort] of pairs) {
    it(`pairs ${seller} with uac-call-expect-${code}.xml, the Reason header read back`, async () => {
      const sellerRun = answerer(seller, answererPort, { calls: 2 });
      await sellerRun.ready;
      const buyer = startSipp(caller(`uac-call-expect-${code}.xml`, callerPort, answererPort, { calls: 2 }), workDir);
      const bought = await buyer.done;
      const sold = await sellerRun.done;
      expect(bought, bought.stderr).to.include({ successfulCalls: 2, failedCalls: 0 });
      expect(sold, sold.stderr).to.include({ successfulCalls: 2, failedCalls: 0 });
      expect(bought.rejections).to.deep.equal([1, 2].map((number) => ({
        callId: `${number}-${buyer.pid}@${CALLER_IP}`, statusCode: code, reasonHeader: `Reason: SIP;cause=${code};text="${phrase}"`,
      })));
    });
  }

  const rejections = [[402, 'Payment Required', 5177, 5190], [403, 'Forbidden', 5178, 5191], [404, 'Not Found', 5179, 5192]] as const;
  for (const [code, phrase, callerPort, answererPort] of rejections) {
    it(`accepts a ${code} ${phrase} that gives its reason in X-Reason`, async () => {
      const scenario = variant(`uas-reject-${code}.xml`, 'uas-busy-486.xml', [
        ['SIP/2.0 486 Busy Here', `SIP/2.0 ${code} ${phrase}`],
        ['Reason: SIP;cause=486;text="Busy Here"', `x-reason: switch rejected ${code}`],
      ]);
      const sellerRun = answerer(scenario, answererPort, { calls: 1 });
      await sellerRun.ready;
      const bought = await runSipp(caller(`uac-call-expect-${code}.xml`, callerPort, answererPort), workDir);
      expect(bought, bought.stderr).to.include({ successfulCalls: 1, failedCalls: 0 });
      expect(bought.rejections.map((rejection) => rejection.reasonHeader)).to.deep.equal([`x-reason: switch rejected ${code}`]);
      expect((await sellerRun.done).successfulCalls, 'the rejection was acknowledged').to.equal(1);
    });
  }

  it('fails a rejection that gives no reason, and still acknowledges it', async () => {
    const sellerRun = answerer(busyWithoutReason(), 5193, { calls: 1 });
    await sellerRun.ready;
    const bought = await runSipp(caller('uac-call-expect-486.xml', 5173, 5193), workDir);
    expect(bought).to.include({ exitCode: SIPP_EXIT_CODES.someCallsFailed, successfulCalls: 0, failedCalls: 1 });
    expect(bought.stats?.failedRegularExpressionMismatch).to.equal(1);
    expect(bought.rejections).to.deep.equal([]);
    expect(bought.errorsFile, 'SIPp says why in its error log').to.be.a('string');
    expect((await sellerRun.done).successfulCalls, 'the 486 got its ACK all the same').to.equal(1);
  });

  it('fails a call that gets another final response than the one expected', async () => {
    const sellerRun = answerer('uas-unavailable-503.xml', 5194, { calls: 1 });
    await sellerRun.ready;
    const bought = await runSipp(caller('uac-call-expect-486.xml', 5174, 5194), workDir);
    expect(bought).to.include({ successfulCalls: 0, failedCalls: 1, unexpectedMessages: 1 });
    await sellerRun.stop();
  });

  it('counts the BYE a held call receives when the other side hangs up', async () => {
    // The answerer's <pause/> lasts -d: it hangs up 300 ms after the ACK.
    const sellerRun = answerer('uas-answer-then-bye.xml', 5195, { calls: 1, callDurationMs: 300 });
    await sellerRun.ready;
    const started = Date.now();
    const buyer = startSipp(caller('uac-call-hold-until-bye.xml', 5175, 5195), workDir);
    const bought = await buyer.done;
    expect(bought, bought.stderr).to.include({ successfulCalls: 1, failedCalls: 0 });
    expect(bought.receivedByeCallIds).to.deep.equal([`1-${buyer.pid}@${CALLER_IP}`]);
    // 10 ms of ringing, 300 ms held, then the caller's one-second time-wait for a repeated BYE.
    expect(Date.now() - started).to.be.within(1300, 3000);
    expect((await sellerRun.done).successfulCalls, 'the BYE was answered 200 OK').to.equal(1);
  });

  it('stops a run at its time bound and reports the calls still up', async () => {
    const sellerRun = answerer('uas-answer-expect-bye.xml', 5196);
    await sellerRun.ready;
    const started = Date.now();
    const bought = await runSipp(caller('uac-call-hold-until-bye.xml', 5176, 5196, { maxRunMs: 1500 }), workDir);
    const elapsedMs = Date.now() - started;
    expect(bought).to.include({ timedOut: true, stopped: false, successfulCalls: 0, failedCalls: 0, currentCalls: 1, totalCalls: 1 });
    expect(bought.receivedByeCallIds).to.deep.equal([]);
    expect(elapsedMs, 'stopped at the bound, not at SIPp’s own timeout').to.be.within(1500, 4000);
    const sold = await sellerRun.stop();
    expect(sold).to.include({ stopped: true, timedOut: false, currentCalls: 1, totalCalls: 1 });
  });

  it('refuses an address and port already bound, which SIPp would silently share', async () => {
    const first = answerer('uas-answer.xml', 5197);
    expect(() => answerer('uas-answer.xml', 5197), 'before the first has bound').to.throw(/already bound/);
    await first.ready;
    await first.stop();
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(5197, ANSWERER_IP, resolve));
    try {
      expect(() => answerer('uas-answer.xml', 5197), 'bound by another program').to.throw(/already bound/);
    } finally {
      other.close();
    }
  });

  it('rejects ready, with SIPp\'s complaint, when SIPp exits before its scenario starts', async () => {
    const broken = variant('uas-broken.xml', 'uas-answer.xml', [['<pause milliseconds="10"/>', '<no-such-element/>']]);
    const run = answerer(broken, 5197);
    let readiness: unknown;
    await run.ready.catch((error: unknown) => { readiness = error; });
    expect(readiness).to.be.an('error').with.property('message').that.matches(/exited before it was ready.*no-such-element/);
    expect(await run.done).to.include({ exitCode: 1, totalCalls: 0, stats: undefined });
  });

  it('stops every SIPp still running with stopAllSipp', async () => {
    const runs = [answerer('uas-answer.xml', 5198), answerer('uas-busy-486.xml', 5199)];
    await Promise.all(runs.map((run) => run.ready));
    const results: readonly SippResult[] = await stopAllSipp();
    expect(results.map((result) => result.stopped)).to.deep.equal([true, true]);
    for (const run of runs) expect(isAlive(run.pid!), `SIPp ${run.pid} is gone`).to.equal(false);
  });

  it('never outlives the process that started it, even one killed with SIGKILL', async () => {
    const program = [
      `import { startSipp } from ${JSON.stringify(RUNNER_MODULE)};`,
      `const run = startSipp({ scenario: 'uas-answer.xml', localAddress: '${ANSWERER_IP}', localPort: 5200, maxRunMs: 60000 }, ${JSON.stringify(workDir)});`,
      'await run.ready;',
      'console.log(run.pid);',
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', program], { stdio: ['ignore', 'pipe', 'inherit'] });
    const sippPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
      parent.once('exit', () => reject(new Error('the parent exited before SIPp was ready')));
    });
    expect(isAlive(sippPid), 'SIPp runs while its parent lives').to.equal(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    while (isAlive(sippPid) && Date.now() < deadline) await sleep(50);
    expect(isAlive(sippPid), 'SIPp died with its parent').to.equal(false);
  });
});

/**
 * Whether a process with this id runs: it exists and is not a zombie (state Z in /proc/<pid>/stat),
 * which is what a killed process whose parent died stays until something reaps it.
 */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
