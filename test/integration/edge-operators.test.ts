/**
 * Named operators against real PostgreSQL: created by the CLI or by an admin, each with a role
 * (a viewer changes nothing, NOC and finance only their own routes, checked on every operator
 * route of the OpenAPI document), the audit log naming who did what, a revoked operator's stream
 * closed, and the first-run login link working once and expiring.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { OperatorStore } from '../../control/store/operators.ts';
import { request, rowCounts } from '../support/exchange-api.ts';
import { createCarrier } from '../support/market.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

const TABLES = ['carriers', 'trunks', 'orders', 'credit_accounts', 'collateral', 'api_keys', 'operators', 'destinations', 'carrier_billing_terms', 'audit_log'];
const ZERO_ID = '00000000-0000-4000-8000-000000000000';

describe('named operators and their roles', function () {
  this.timeout(90_000);
  let running: RunningSystem;
  let carrierId: string;
  const tokens: Record<string, string> = {};

  const createByApi = async (name: string, role: string) => {
    const response = await running.api<{ token: string; name: string; role: string }>('POST', '/v1/operators', { name, role });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body.token;
  };

  before(async () => {
    running = await startTestSystem({ sip: 11840, evapi: 11841, jsonrpc: 11842, api: 11843 });
    carrierId = (await createCarrier(running, 'Audited Carrier')).id;
  });
  after(async () => {
    await running?.stop();
  });

  it('creates an operator from the command line, printing its token once and storing only its hash', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'control/cli/main.ts', 'operator', 'create', 'vera', '--role', 'viewer'], {
      env: { ...process.env, DATABASE_URL: running.database.url }, timeout: 60_000,
    });
    const token = /^(mto_\S+)$/m.exec(stdout)?.[1];
    expect(token, stdout).to.be.a('string');
    tokens['viewer'] = token!;
    const stored = await running.system.db.one<{ token_hash: Buffer; created_by: string }>("select token_hash, created_by from operators where name = 'vera'");
    expect(stored.token_hash.toString('latin1')).to.not.include(token);
    expect(stored.created_by).to.match(/^cli:/);
    const { stdout: listed } = await promisify(execFile)('npx', ['tsx', 'control/cli/main.ts', 'operator', 'list'], { env: { ...process.env, DATABASE_URL: running.database.url }, timeout: 60_000 });
    expect(listed).to.match(/^vera\tviewer\tactive/m);
    expect(listed).to.not.include(token);
  });

  it('lets an admin create operators over the API; no one else may', async () => {
    tokens['noc'] = await createByApi('nora', 'noc');
    tokens['finance'] = await createByApi('finn', 'finance');
    tokens['admin'] = await createByApi('ada', 'admin');
    for (const role of ['viewer', 'noc', 'finance']) {
      expect((await request(running, tokens[role]!, 'POST', '/v1/operators', { name: `x-${role}`, role: 'admin' })).status, role).to.equal(403);
    }
    expect((await request(running, tokens['admin'], 'GET', '/v1/operators')).status).to.equal(200);
  });

  it('refuses a viewer every change on every route of the API, changing no row', async () => {
    const document = (await running.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json')).body;
    const before = await rowCounts(running.system.db, TABLES);
    let tried = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const method of Object.keys(methods).filter((name) => name !== 'get' && name !== 'head')) {
        const url = path.replaceAll(/\{[^}]+\}/g, (name) => (name === '{id}' ? carrierId : ZERO_ID));
        const response = await request(running, tokens['viewer']!, method.toUpperCase(), url, {});
        expect(response.status, `${method} ${path}`).to.equal(403);
        tried += 1;
      }
    }
    expect(tried).to.be.greaterThan(15);
    expect(await rowCounts(running.system.db, TABLES)).to.deep.equal(before);
    expect((await request(running, tokens['viewer']!, 'GET', '/v1/carriers')).status).to.equal(200);
  });

  it('keeps NOC and finance to their own routes, and the audit log names who did it', async () => {
    const limit = { amount: '25.000000', currency: 'USD' };
    expect((await request(running, tokens['noc']!, 'PUT', `/v1/carriers/${carrierId}/credit-limit`, limit)).status).to.equal(403);
    expect((await request(running, tokens['finance']!, 'PUT', `/v1/carriers/${carrierId}/credit-limit`, limit)).status).to.equal(200);
    expect((await request(running, tokens['finance']!, 'PUT', `/v1/carriers/${carrierId}/status`, { status: 'suspended' })).status).to.equal(403);
    expect((await request(running, tokens['noc']!, 'PUT', `/v1/carriers/${carrierId}/status`, { status: 'suspended' })).status).to.equal(200);
    // NOC may end a call (there is none: 404, not 403); finance may not.
    expect((await request(running, tokens['noc']!, 'POST', '/v1/calls/nothing@here/hangup')).status).to.equal(404);
    expect((await request(running, tokens['finance']!, 'POST', '/v1/calls/nothing@here/hangup')).status).to.equal(403);
    const actors = await running.system.db.map<string>(
      "select actor || ' ' || action as line from audit_log where subject like $1 order by id", [`%${carrierId}%`], (row: { line: string }) => row.line);
    expect(actors).to.include.members(['operator:finn credit.set_limit', 'operator:nora carrier.suspend']);
  });

  it('closes a revoked operator’s stream and refuses its token', async () => {
    const token = await createByApi('temp', 'viewer');
    const stream = await fetch(`${running.system.apiUrl}/v1/stream`, { headers: { authorization: `Bearer ${token}` } });
    expect(stream.status).to.equal(200);
    const reader = stream.body!.getReader();
    await reader.read();
    expect((await running.api('DELETE', '/v1/operators/temp')).status).to.equal(200);
    const ended = await (async () => {
      try {
        for (;;) if ((await reader.read()).done) return true;
      } catch {
        return true;
      }
    })();
    expect(ended).to.equal(true);
    expect((await request(running, token, 'GET', '/v1/carriers')).status).to.equal(401);
  });

  it('exchanges a login link once, and not after it expires', async () => {
    const store = new OperatorStore(running.system.db);
    const redeem = (code: string) => fetch(`${running.system.apiUrl}/login/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    const code = await store.newLoginLink(60_000);
    const first = await redeem(code);
    expect(first.status).to.equal(200);
    const { token, operator } = await first.json() as { token: string; operator: string };
    expect(operator).to.equal('first-run');
    expect((await request(running, token, 'POST', '/v1/operators', { name: 'made-by-first-run', role: 'viewer' })).status).to.equal(201);
    expect((await redeem(code)).status).to.equal(401);
    const expired = await store.newLoginLink(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await redeem(expired)).status).to.equal(401);
  });
});
