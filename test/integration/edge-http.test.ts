/**
 * The API's edge against real PostgreSQL: security headers, rate limits per key and per address
 * (429 with Retry-After), a bound on live streams per key, and a stream closed the moment its key
 * is revoked.
 */
import http from 'node:http';
import { expect } from 'chai';
import { createApiKey, request } from '../support/exchange-api.ts';
import { createCarrier } from '../support/market.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

const PER_KEY = 30;
const PER_ADDRESS = 200;
const STREAMS = 2;

/** A GET from a chosen loopback address (fetch cannot choose it). */
function getFrom(localAddress: string, url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('the API edge: headers, rate limits, live streams', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let carrierId: string;

  before(async () => {
    running = await startTestSystem({ sip: 11830, evapi: 11831, jsonrpc: 11832, api: 11833 }, {
      MINUTEX_API_RATE_PER_ADDRESS_PER_MIN: String(PER_ADDRESS), MINUTEX_API_RATE_PER_KEY_PER_MIN: String(PER_KEY),
      MINUTEX_API_MAX_STREAMS_PER_PRINCIPAL: String(STREAMS),
    });
    carrierId = (await createCarrier(running, 'Chatty Carrier')).id;
  });
  after(async () => {
    await running?.stop();
  });

  it('sends security headers with every answer', async () => {
    const response = await fetch(`${running.system.apiUrl}/healthz`);
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(response.headers.get('content-security-policy')).to.include("default-src 'self'");
    expect(response.headers.get('strict-transport-security')).to.be.a('string');
    expect(response.headers.get('x-powered-by')).to.equal(null);
  });

  it(`answers 429 with Retry-After past ${PER_KEY} requests a minute from one key; another key is not held back`, async () => {
    const [first, second] = [await createApiKey(running, { id: carrierId }), await createApiKey(running, { id: carrierId })];
    const statuses: number[] = [];
    for (let i = 0; i < PER_KEY; i += 1) statuses.push((await request(running, first.key, 'GET', '/v1/orders')).status);
    expect(statuses.every((status) => status === 200)).to.equal(true);
    const refused = await fetch(`${running.system.apiUrl}/v1/orders`, { headers: { authorization: `Bearer ${first.key}` } });
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
    expect(await refused.json()).to.include({ error: 'rate_limited' });
    expect((await request(running, second.key, 'GET', '/v1/orders')).status).to.equal(200);
  });

  it(`holds ${STREAMS} live streams per key at most, and closes them when the key is revoked`, async () => {
    const { id, key } = await createApiKey(running, { id: carrierId });
    const open = async () => {
      const response = await fetch(`${running.system.apiUrl}/v1/stream`, { headers: { authorization: `Bearer ${key}` } });
      return response;
    };
    const streams = [await open(), await open()];
    for (const stream of streams) expect(stream.status).to.equal(200);
    const third = await open();
    expect(third.status).to.equal(429);
    expect(await third.json()).to.include({ error: 'too_many_streams' });

    const readers = streams.map((stream) => stream.body!.getReader());
    for (const reader of readers) expect(new TextDecoder().decode((await reader.read()).value as Uint8Array)).to.include('event: hello');
    const started = Date.now();
    expect((await running.api('DELETE', `/v1/carriers/${carrierId}/api-keys/${id}`)).status).to.equal(200);
    const ends = await Promise.all(readers.map(async (reader) => {
      try {
        for (;;) if ((await reader.read()).done) return 'ended';
      } catch {
        return 'ended';
      }
    }));
    expect(ends).to.deep.equal(['ended', 'ended']);
    expect(Date.now() - started).to.be.below(2000);
    expect((await open()).status).to.equal(401);
  });

  it(`answers 429 past ${PER_ADDRESS} requests a minute from one address, before authentication; other addresses go on`, async () => {
    const address = '127.0.0.151';
    const url = `${running.system.apiUrl}/v1/orders`;
    const answers = [];
    for (let i = 0; i < PER_ADDRESS; i += 1) answers.push((await getFrom(address, url)).status);
    // No token: refused as unauthorized until the address's budget is spent.
    expect(answers.every((status) => status === 401)).to.equal(true);
    const refused = await getFrom(address, url);
    expect(refused.status).to.equal(429);
    expect(JSON.parse(refused.body)).to.include({ error: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect((await getFrom('127.0.0.152', `${running.system.apiUrl}/healthz`)).status).to.equal(200);
  });
});
