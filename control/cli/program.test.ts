import { expect } from 'chai';
import { ApiFailure, type ApiClient } from './api-client.ts';
import { formatFailure, formatRecord } from './output.ts';
import { buildProgram } from './program.ts';
import { downloadFileName } from './settlement-commands.ts';

interface Sent { method: string; path: string; body?: unknown }

/** The program with an API that records what it is asked and answers `answer`. */
function harness(answer: (sent: Sent) => unknown = () => ({})) {
  const sent: Sent[] = [];
  const printed: string[] = [];
  const api: ApiClient = {
    request: <T>(method: string, path: string, body?: unknown) => {
      const one = { method, path, ...(body === undefined ? {} : { body }) };
      sent.push(one);
      return Promise.resolve(answer(one) as T);
    },
    download: (path: string) => {
      sent.push({ method: 'GET', path });
      return Promise.resolve(new Uint8Array([1, 2, 3]));
    },
    uploadCsv: <T>(path: string, file: string) => {
      sent.push({ method: 'POST', path, body: file });
      return Promise.resolve(answer({ method: 'POST', path }) as T);
    },
  };
  const program = buildProgram({ env: { MINUTEX_OPERATOR_TOKEN: 't' }, api: () => api, out: (text) => void printed.push(text), stderrIsTty: false });
  program.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeErr: () => undefined });
    for (const sub of command.commands) sub.exitOverride().configureOutput({ writeErr: () => undefined });
  }
  const run = (...args: string[]) => program.parseAsync(['node', 'minutex', ...args]);
  return { sent, printed, run };
}

const CARRIER = '0d6f7f32-8c2e-4a59-9d59-3a0f0d1c2b11';

describe('operator CLI commands', () => {
  it('sets a credit limit as the decimal string typed, never a float', async () => {
    const { sent, run } = harness(() => ({ carrier_id: CARRIER, currency: 'EUR', limit: '1250.500000' }));
    await run('limits', 'set', CARRIER, '1250.50', '--currency', 'EUR');
    expect(sent).to.deep.equal([{ method: 'PUT', path: `/v1/carriers/${CARRIER}/credit-limit`, body: { amount: '1250.50', currency: 'EUR' } }]);
  });

  it('refuses an amount that is not a plain decimal before asking the API', async () => {
    for (const amount of ['1e3', '-5', '1.1234567', '12,50', 'ten']) {
      const { sent, run } = harness();
      let failed = false;
      await run('limits', 'set', CARRIER, amount).catch(() => {
        failed = true;
      });
      expect(failed, amount).to.equal(true);
      expect(sent, amount).to.deep.equal([]);
    }
  });

  it('adds a trunk with only the fields given, numbers as numbers', async () => {
    const { sent, run } = harness(() => ({ id: 'trunk-1' }));
    await run('trunks', 'add', CARRIER, '--direction', 'egress', '--address', '10.0.0.1:5080', '--channels', '30', '--cps', '5', '--identity-policy', 'strip');
    expect(sent[0]).to.deep.equal({
      method: 'POST', path: `/v1/carriers/${CARRIER}/trunks`, body: { direction: 'egress', address: '10.0.0.1:5080', channels: 30, cps: 5, identity_policy: 'strip' },
    });
  });

  it('suspends and reinstates a carrier through its status', async () => {
    const { sent, run } = harness((one) => ({ id: CARRIER, status: (one.body as { status: string }).status }));
    await run('carriers', 'suspend', CARRIER);
    await run('carriers', 'reinstate', CARRIER);
    expect(sent.map((one) => one.body)).to.deep.equal([{ status: 'suspended' }, { status: 'active' }]);
  });

  it('hangs up through the one hang-up route, the Call-ID escaped', async () => {
    const { sent, printed, run } = harness(() => ({ call_id: 'a b@host', status: 'ending' }));
    await run('calls', 'hangup', 'a b@host');
    expect(sent).to.deep.equal([{ method: 'POST', path: '/v1/calls/a%20b%40host/hangup' }]);
    expect(printed[0]).to.match(/^call_id\s+status\n-+\s+-+\na b@host\s+ending$/);
  });

  it('still lists live calls with `calls` alone, and keeps `trunk` as a name of `trunks`', async () => {
    const { sent, run } = harness((one) => (one.path === '/v1/calls/live' ? { calls: [] } : { trunks: [] }));
    await run('calls');
    await run('trunk', 'health');
    expect(sent.map((one) => one.path)).to.deep.equal(['/v1/calls/live', '/v1/noc/trunks']);
  });

  it('keeps the names the page guide gives: carrier suspend/limit, order cancel, hangup', async () => {
    const { sent, run } = harness(() => ({}));
    await run('carrier', 'suspend', CARRIER);
    await run('carrier', 'limit', CARRIER, '75.5');
    await run('order', 'cancel', 'o-1');
    await run('hangup', 'c-1');
    expect(sent).to.deep.equal([
      { method: 'PUT', path: `/v1/carriers/${CARRIER}/status`, body: { status: 'suspended' } },
      { method: 'PUT', path: `/v1/carriers/${CARRIER}/credit-limit`, body: { amount: '75.5', currency: 'USD' } },
      { method: 'DELETE', path: '/v1/orders/o-1' },
      { method: 'POST', path: '/v1/calls/c-1/hangup' },
    ]);
  });

  it('imports a rate deck for a carrier in its currency', async () => {
    const { sent, run } = harness(() => ({ rate_deck_id: 'd', orders_submitted: 3 }));
    await run('--json', 'import', 'rate-deck', CARRIER, 'deck.csv', '--currency', 'GBP');
    expect(sent).to.deep.equal([{ method: 'POST', path: `/v1/carriers/${CARRIER}/rate-decks?currency=GBP`, body: 'deck.csv' }]);
  });

  it('runs statements for a day given as YYYY-MM-DD only', async () => {
    const { sent, run } = harness(() => ({ statements: [] }));
    await run('statements', 'run', '2026-10-31');
    expect(sent[0]).to.deep.equal({ method: 'POST', path: '/v1/statements/run', body: { period_end: '2026-10-31' } });
    let failed = false;
    await run('statements', 'run', '31/10/2026').catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
  });

  it('prints the API answer as JSON with --json', async () => {
    const { printed, run } = harness(() => ({ carriers: [{ id: CARRIER, name: 'A', status: 'active' }] }));
    await run('--json', 'carriers', 'list');
    expect(JSON.parse(printed[0]!)).to.deep.equal({ carriers: [{ id: CARRIER, name: 'A', status: 'active' }] });
  });

  it('names a statement download after its id and format unless told', () => {
    expect(downloadFileName('abc', 'pdf', undefined)).to.equal('abc.pdf');
    expect(downloadFileName('abc', 'csv', 'out/october.csv')).to.equal('out/october.csv');
  });
});

describe('CLI output', () => {
  it('shows an API refusal by its reason code first, with the bad lines', () => {
    const problems = Array.from({ length: 22 }, (_, index) => ({ line: index + 2, reason: 'invalid_prefix', message: 'not digits' }));
    const text = formatFailure(new ApiFailure('POST', '/v1/destinations/import', 400, 'invalid_csv', 'the table has bad lines', { error: 'invalid_csv', problems }));
    const lines = text.split('\n');
    expect(lines[0]).to.equal('error: 400 invalid_csv from POST /v1/destinations/import: the table has bad lines');
    expect(lines[1]).to.equal('  line 2: invalid_prefix: not digits');
    expect(lines).to.have.length(22);
    expect(lines[21]).to.equal('  ... and 2 more');
    expect(formatFailure(new Error('no operator token'))).to.equal('error: no operator token');
  });

  it('shows one record as fields and values, nested ones flattened', () => {
    expect(formatRecord({ id: 'c1', credit: { limit: '10.00', available: null } })).to.equal(
      ['field             value', '----------------  -----', 'id                c1', 'credit.limit      10.00', 'credit.available  -'].join('\n'),
    );
  });
});
