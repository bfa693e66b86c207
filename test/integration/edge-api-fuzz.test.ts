/**
 * API fuzzing from the OpenAPI document, against real PostgreSQL: fast-check sends requests to
 * every /v1 operation with random and boundary values in the path, the query and the body, as a
 * carrier, an operator, and with wrong, revoked or missing tokens. Every answer must be 2xx or 4xx
 * (never 5xx), a refused request must leave every row as it was, and a carrier's answers must
 * hold nothing of another carrier. MINUTEX_FUZZ_RUNS sets the number of requests (10,000 by default).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Db } from '../../common/db/database.ts';
import type { LocalService } from '../../common/local-service.ts';
import { createApiKey, request } from '../support/exchange-api.ts';
import { createCarrier, createDestination, placeOrder, setCreditLimit } from '../support/market.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const RUNS = Number(process.env['MINUTEX_FUZZ_RUNS'] ?? 10_000);
const BUREAU_URL = 'http://127.0.0.1:11854';
const FSN_URL = 'http://127.0.0.1:11855';
const sandboxes: LocalService[] = [];
const TABLES = ['carriers', 'trunks', 'orders', 'order_events', 'trades', 'credit_accounts', 'collateral', 'api_keys', 'operators', 'audit_log',
  'destinations', 'destination_prefixes', 'carrier_billing_terms', 'statements', 'rate_decks', 'ledger_postings'];

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; const?: unknown;
  pattern?: string; format?: string; minimum?: number; maximum?: number; maxLength?: number };
interface Operation { method: string; path: string; pathParams: string[]; query: Record<string, Schema>; body: Schema | undefined }

async function countRows(db: Db): Promise<string> {
  const row = await db.one<{ counts: string }>(`select concat_ws(',', ${TABLES.map((table) => `(select count(*) from ${table})`).join(', ')}) as counts`);
  return row.counts;
}

/** Values a careless or hostile client sends, whatever the schema says. */
const hostile = fc.oneof(
  fc.constantFrom<unknown>(null, '', ' ', '0', '-1', 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '999999999999999.999999', '1e5', 'NaN',
    '../../etc/passwd', "' or 1=1 --", '\u0000', 'x'.repeat(5000), '00000000-0000-0000-0000-000000000000', true, [], {}, [1, 2], { a: { b: {} } }),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

/** A value for a schema: usually of its shape (valid or near it), sometimes anything hostile. */
function valueFor(schema: Schema | undefined, ids: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return hostile;
  const shaped = ((): fc.Arbitrary<unknown> => {
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option) => valueFor(option, ids, depth + 1)));
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'string':
        if (schema.format === 'uuid') return ids;
        if (schema.pattern?.includes('[0-9]') && schema.pattern.includes('\\.')) return fc.oneof(fc.constantFrom('0.010000', '1', '0', '-0.5', '1000000000000.000001', '12.1234567'), fc.double().map(String));
        if (schema.pattern === '^[A-Z]{3}$') return fc.constantFrom('USD', 'EUR', 'XXX', 'usd', 'ZZZ');
        return fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('4420', '3491', '60/60', '1/1', 'monthly', 'UTC', 'deposit', '2030-01-01T00:00:00Z'));
      case 'integer':
        return fc.oneof(fc.integer({ min: (schema.minimum ?? 0) - 2, max: (schema.maximum ?? 1000) + 2 }), fc.constantFrom(2 ** 31, 2 ** 53));
      case 'number':
        return fc.double();
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valueFor(schema.items, ids, depth + 1), { maxLength: 4 });
      case 'object': {
        const entries = Object.entries(schema.properties ?? {});
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, property] of entries) record[name] = valueFor(property, ids, depth + 1);
        return fc.record(record, { requiredKeys: [] });
      }
      default:
        return hostile;
    }
  })();
  return fc.oneof({ arbitrary: shaped, weight: 4 }, { arbitrary: hostile, weight: 1 });
}

function operationsOf(document: { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema: Schema }>; requestBody?: { content?: Record<string, { schema: Schema }> } }>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    if (!path.startsWith('/v1/') || path === '/v1/stream') continue;
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = operation.parameters ?? [];
      operations.push({
        method: method.toUpperCase(), path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        query: Object.fromEntries(parameters.filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.schema])),
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

describe('API fuzzing from the OpenAPI document', function () {
  this.timeout(900_000);
  let running: RunningSystem;
  let other: { id: string; name: string; orderId: string };
  let tokens: { own: string; revoked: string };
  let ownId: string;

  before(async () => {
    // The outside systems up, as in production: a refusal must come from minutex, not from a provider that is not there.
    sandboxes.push(await startSandbox('bureau', BUREAU_URL), await startSandbox('fsn', FSN_URL));
    running = await startTestSystem({ sip: 11850, evapi: 11851, jsonrpc: 11852, api: 11853 }, {
      MINUTEX_API_RATE_PER_ADDRESS_PER_MIN: '0', MINUTEX_API_RATE_PER_KEY_PER_MIN: '0', MINUTEX_BUREAU_URL: BUREAU_URL, MINUTEX_FSN_URL: FSN_URL,
    });
    ownId = (await createCarrier(running, 'Fuzzing Carrier')).id;
    const otherName = 'Private Other Carrier Zyxw';
    const otherId = (await createCarrier(running, otherName)).id;
    await createDestination(running, 'Spain - Madrid', ['3491']);
    await setCreditLimit(running, { id: ownId }, '10.000000');
    const placed = await placeOrder(running, { carrier_id: otherId, side: 'sell', prefix: '3491', price_per_minute: '0.010000', increments: '60/60', channels: 3 });
    other = { id: otherId, name: otherName, orderId: placed.order.id };
    const own = await createApiKey(running, { id: ownId });
    const revoked = await createApiKey(running, { id: ownId });
    expect((await running.api('DELETE', `/v1/carriers/${ownId}/api-keys/${revoked.id}`)).status).to.equal(200);
    tokens = { own: own.key, revoked: revoked.key };
  });
  after(async () => {
    await running?.stop();
    for (const sandbox of sandboxes) await sandbox.stop();
  });

  it(`answers ${RUNS} random requests across every route with 2xx or 4xx only, changes nothing when it refuses, and shows a carrier nothing of another`, async () => {
    const document = (await running.api<Parameters<typeof operationsOf>[0]>('GET', '/openapi.json')).body;
    const operations = operationsOf(document);
    expect(operations.length).to.be.greaterThan(30);
    const ids = fc.oneof(fc.constantFrom(ownId, other.id, other.orderId, '00000000-0000-4000-8000-000000000000'), fc.uuid());
    const who = fc.constantFrom<'carrier' | 'operator' | 'revoked' | 'garbage' | 'none'>('carrier', 'carrier', 'carrier', 'operator', 'revoked', 'garbage', 'none');
    const requestArbitrary = fc.constantFrom(...operations).chain((operation) => fc.record({
      operation: fc.constant(operation),
      who,
      // A path segment of '.' or '..' is resolved away by the client: the request would reach another path.
      params: fc.tuple(...operation.pathParams.map(() => fc.oneof(ids, fc.string({ maxLength: 20 }).filter((segment) => segment !== '.' && segment !== '..').map(encodeURIComponent), fc.constant('%00')))),
      query: fc.record(Object.fromEntries(Object.entries(operation.query).map(([name, schema]) => [name, valueFor(schema, ids)])), { requiredKeys: [] }),
      body: operation.body ? valueFor(operation.body, ids) : fc.option(hostile, { nil: undefined }),
    }));
    const statuses = new Map<number, number>();
    let refusedUnchanged = 0;
    await fc.assert(fc.asyncProperty(requestArbitrary, async ({ operation, who: principal, params, query, body }) => {
      let index = 0;
      const path = operation.path.replaceAll(/\{[^}]+\}/g, () => String(params[index++] ?? ''));
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, typeof value === 'string' ? value : JSON.stringify(value));
      const url = `${path}${search.size > 0 ? `?${search.toString()}` : ''}`;
      const token = { carrier: tokens.own, operator: TEST_OPERATOR_TOKEN, revoked: tokens.revoked, garbage: 'mtx_not-a-key', none: '' }[principal];
      const before = await countRows(running.system.db);
      const response = await request(running, token, operation.method, url, operation.method === 'GET' || operation.method === 'HEAD' ? undefined : body);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `${operation.method} ${url} ${JSON.stringify(body)?.slice(0, 300)} → ${response.text.slice(0, 300)}`).to.be.below(500);
      if (response.status >= 400) {
        expect(await countRows(running.system.db), `${operation.method} ${url} refused with ${response.status} but changed rows`).to.equal(before);
        refusedUnchanged += 1;
      }
      if (principal === 'carrier') {
        expect(response.text, `${operation.method} ${url}`).to.not.include(other.name);
        expect(response.text.includes(other.orderId) && !url.includes(other.orderId), `${operation.method} ${url} shows another carrier's order`).to.equal(false);
      }
      if (principal !== 'operator' && principal !== 'carrier') expect(response.status, `${principal} ${operation.method} ${url}`).to.equal(401);
    }), { numRuns: RUNS, endOnFailure: true });
    console.log(`      ${RUNS} requests over ${operations.length} operations; answers: ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}; ${refusedUnchanged} refusals changed nothing`);
  });
});
