/**
 * The operator CLI (`npm run cli`) as an operator runs it, against a started control plane on real
 * PostgreSQL (no switch: these commands go through the API alone): carriers, trunks and a credit
 * limit changed and audited, a destination table imported from a file (with its progress bar on
 * a terminal), a day's statements run and downloaded, and refusals that exit 1 with the API's
 * reason code.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createCarrier, type Carrier } from '../support/market.ts';
import { rowCounts } from '../support/exchange-api.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

interface CliRun { code: number; stdout: string; stderr: string }

describe('operator CLI', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  let carrier: Carrier;
  let workDir: string;

  /** Runs `npm run cli -- <args>` (node with tsx, as npm does) and never throws: the exit code is part of the answer. */
  const cli = (...args: string[]) => new Promise<CliRun>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'control/cli/main.ts', '--api', running.system.apiUrl, '--token', TEST_OPERATOR_TOKEN, ...args],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error: ExecFileException | null, stdout: string, stderr: string) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }));
  });

  before(async () => {
    running = await startTestSystem({ sip: 12800, evapi: 12801, jsonrpc: 12802, api: 12803 }, { MINUTEX_EXTERNAL_SWITCH: 'true' }, { withoutSwitch: true });
    carrier = await createCarrier(running, 'Cli Carrier');
    workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-cli-'));
  });
  after(async () => {
    await running?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('lists carriers as a table for people and as JSON for scripts', async () => {
    const table = await cli('carriers', 'list');
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/^id\s+name\s+status\s+created_at$/m);
    expect(table.stdout).to.match(new RegExp(`^${carrier.id}\\s+Cli Carrier\\s+active\\s`, 'm'));
    const json = await cli('--json', 'carriers', 'list');
    const body = JSON.parse(json.stdout) as { carriers: Array<{ id: string; status: string }> };
    expect(body.carriers.find((one) => one.id === carrier.id)?.status).to.equal('active');
  });

  it('sets a credit limit from a decimal string, audited with the operator as actor', async () => {
    const set = await cli('limits', 'set', carrier.id, '1250.50');
    expect(set.code, set.stderr).to.equal(0);
    const shown = JSON.parse((await cli('--json', 'limits', 'show', carrier.id)).stdout) as { limit: string; available: string };
    expect(shown.limit).to.equal('1250.500000');
    const micros = await running.system.db.one<{ limit_micros: bigint }>("select limit_micros from credit_accounts where carrier_id = $1 and currency = 'USD'", [carrier.id]);
    expect(BigInt(micros.limit_micros)).to.equal(1_250_500_000n);
    const audited = await running.system.db.any<{ action: string }>('select action from audit_log where subject = $1', [`carrier:${carrier.id}`]);
    expect(audited.map((row) => row.action).join(' ')).to.match(/credit/);
    const refused = await cli('limits', 'set', carrier.id, '12.5e3');
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/decimal amount/);
  });

  it('adds a trunk and lists it; suspends and reinstates the carrier', async () => {
    const added = await cli('--json', 'trunks', 'add', carrier.id, '--direction', 'ingress', '--address', '127.0.0.77', '--channels', '30', '--cps', '5');
    expect(added.code, added.stderr).to.equal(0);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const listed = await cli('trunks', 'list', carrier.id);
    expect(listed.stdout).to.match(new RegExp(`^${id}\\s+${carrier.id}\\s+ingress\\s+127\\.0\\.0\\.77\\s`, 'm'));
    expect((await cli('carriers', 'suspend', carrier.id)).code).to.equal(0);
    const status = async () => (await running.system.db.one<{ status: string }>('select status from carriers where id = $1', [carrier.id])).status;
    expect(await status()).to.equal('suspended');
    const shown = await cli('carriers', 'show', carrier.id);
    expect(shown.stdout).to.match(/^status\s+suspended$/m).and.match(/^credit\.limit\s+1250\.500000$/m).and.include('127.0.0.77');
    expect((await cli('carriers', 'reinstate', carrier.id)).code).to.equal(0);
    expect(await status()).to.equal('active');
  });

  it('imports a destination table from a file, with a progress bar when a person watches', async () => {
    const file = path.join(workDir, 'destinations.csv');
    const lines = ['prefix,name'];
    for (let index = 0; index < 20_000; index += 1) lines.push(`9${String(index).padStart(6, '0')},Cli Land ${Math.floor(index / 100)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const imported = await cli('--json', 'import', 'destinations', file);
    expect(imported.code, imported.stderr).to.equal(0);
    expect(JSON.parse(imported.stdout)).to.deep.include({ lines: 20_000, destinations_created: 200, prefixes_created: 20_000 });
    expect(imported.stderr, 'no bar when stderr is not a terminal').to.equal('');
    const count = await running.system.db.one<{ n: number }>("select count(*)::int as n from destination_prefixes where prefix like '9%'");
    expect(count.n).to.equal(20_000);

    // On a terminal (script(1) gives one), the bar reaches 100% on stderr.
    const again = await new Promise<string>((resolve) => {
      const command = [process.execPath, '--import', 'tsx', 'control/cli/main.ts', '--api', running.system.apiUrl, '--token', TEST_OPERATOR_TOKEN, 'import', 'destinations', file]
        .map((part) => `'${part}'`).join(' ');
      execFile('script', ['-qec', command, '/dev/null'], { timeout: 60_000 }, (_error, stdout) => resolve(stdout));
    });
    expect(again).to.match(/destinations \[.*\] 100% \| 399\/399 KiB/);
    expect(again.replaceAll('\r', ''), 'the answer after the bar: all 20,000 unchanged').to.match(/^20000\s+0\s+0\s+0\s+20000$/m);
  });

  it("imports a seller's rate deck: its lines become sell orders", async () => {
    // Prefixes of two destinations the import above made (Cli Land 0 and Cli Land 1).
    const seller = await createCarrier(running, 'Cli Deck Seller');
    const file = path.join(workDir, 'deck.csv');
    writeFileSync(file, 'prefix,price_per_minute,increments,connect_fee,effective_date,channels\n9000001,0.015000,60/60,,,10\n9000101,0.008,30/6,0.001,,5\n');
    const imported = await cli('--json', 'import', 'rate-deck', seller.id, file, '--currency', 'USD');
    expect(imported.code, imported.stderr).to.equal(0);
    expect(JSON.parse(imported.stdout)).to.include({ currency: 'USD', orders_submitted: 2 });
    const orders = await running.system.db.one<{ n: number }>("select count(*)::int as n from orders where carrier_id = $1 and side = 'sell'", [seller.id]);
    expect(orders.n).to.equal(2);
  });

  it('exits 1 with the reason code and the bad lines when the API refuses a file, changing nothing', async () => {
    const file = path.join(workDir, 'bad.csv');
    writeFileSync(file, 'prefix,name\n4477,Fine\nnot-a-prefix,Broken\n');
    const before = await rowCounts(running.system.db, ['destinations', 'destination_prefixes']);
    const refused = await cli('import', 'destinations', file);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^error: 400 invalid_csv from POST \/v1\/destinations\/import: /).and.match(/line 3: \w+/);
    expect(refused.stdout).to.equal('');
    expect(await rowCounts(running.system.db, ['destinations', 'destination_prefixes'])).to.deep.equal(before);
    const json = await cli('--json', 'import', 'destinations', file);
    expect(JSON.parse(json.stderr)).to.deep.include({ status: 400, error: 'invalid_csv' });
  });

  it('exits 1 with not_found for a call that is not up, and for an unknown carrier', async () => {
    const hangup = await cli('calls', 'hangup', 'no-such-call@example');
    expect(hangup.code).to.equal(1);
    expect(hangup.stderr).to.match(/^error: 404 not_found from POST \/v1\/calls\/no-such-call%40example\/hangup/);
    const suspend = await cli('carriers', 'suspend', '00000000-0000-4000-8000-000000000000');
    expect(suspend.code).to.equal(1);
    expect(suspend.stderr).to.match(/not_found/);
  });

  it('lists statements (none issued yet)', async () => {
    const listed = await cli('--json', 'statements', 'list');
    expect(listed.code, listed.stderr).to.equal(0);
    expect(JSON.parse(listed.stdout)).to.deep.equal({ statements: [] });
    expect((await cli('statements', 'list')).stdout.trim()).to.equal('(none)');
  });

  it('runs a day\'s statements, lists them and downloads one as PDF and CSV; a second run is refused', async () => {
    // A statement needs something to state: a call bought from another carrier that day.
    const seller = await createCarrier(running, 'Cli Seller');
    const destination = await insertDestination(running.system.db, 'Cli Statement Land');
    const trade = await insertTrade(running.system.db, { buyer: carrier.id, seller: seller.id, destination },
      { price_per_minute_micros: 12_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    await ratedCall(running, trade, '2026-11-01T09:00:00Z', 90_000);
    for (const one of [carrier.id, seller.id]) {
      const terms = await running.api('PUT', `/v1/carriers/${one}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD' });
      expect(terms.status).to.equal(200);
    }
    const run = await cli('--json', 'statements', 'run', '2026-11-01');
    expect(run.code, run.stderr).to.equal(0);
    const statement = (JSON.parse(run.stdout) as { statements: Array<{ id: string; carrier_id: string }> }).statements.find((one) => one.carrier_id === carrier.id);
    expect(statement).to.not.equal(undefined);
    const listed = await cli('statements', 'list', '--carrier', carrier.id);
    expect(listed.stdout).to.match(new RegExp(`^${statement!.id}\\s+\\S+\\s+Cli Carrier\\s+USD\\s+\\w+\\s+2026-11-01\\s+2026-11-01\\s`, 'm'));
    const pdf = path.join(workDir, 'statement.pdf');
    expect((await cli('statements', 'download', statement!.id, '--format', 'pdf', '-o', pdf)).code).to.equal(0);
    expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const csv = await cli('--json', 'statements', 'download', statement!.id, '--format', 'csv', '-o', path.join(workDir, 'statement.csv'));
    expect(JSON.parse(csv.stdout)).to.include({ format: 'csv', file: path.join(workDir, 'statement.csv') });
    expect(readFileSync(path.join(workDir, 'statement.csv'), 'utf8').length).to.be.greaterThan(20);
    const again = await cli('statements', 'run', '2026-11-01');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/^error: 409 period_already_run from POST \/v1\/statements\/run/);
  });
});
