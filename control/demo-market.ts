/**
 * The demo market: two buyers and three sellers on their own loopback addresses, two
 * destinations, credit for the buyers and orders that cross into trades. Seeding is idempotent:
 * a second `npm run demo` on the same database finds everything in place.
 */
import type { System } from './system.ts';

/** The bureau sandbox's test company every demo buyer applies for credit as (bureau/companies.ts). */
const DEMO_BUREAU_ID = 'MXB-100001';

export interface DemoBuyer { readonly name: string; readonly address: string; readonly numbers: readonly string[]; readonly credit: string }
export interface DemoSeller { readonly name: string; readonly address: string; readonly port: number; readonly scenario: string }

export const DEMO_BUYERS: readonly DemoBuyer[] = [
  { name: 'Atlantic Voice (demo buyer)', address: '127.0.0.2', numbers: ['442079460000', '447700900123'], credit: '25.000000' },
  { name: 'Baltic Telecom (demo buyer)', address: '127.0.0.5', numbers: ['447700900456'], credit: '0.150000' },
];

export const DEMO_SELLERS: readonly DemoSeller[] = [
  { name: 'Northern Routes (demo seller)', address: '127.0.0.3', port: 5080, scenario: 'uas-answer.xml' },
  { name: 'Southern Carrier (demo seller)', address: '127.0.0.4', port: 5080, scenario: 'uas-unavailable-503.xml' },
  { name: 'Eastern Lines (demo seller)', address: '127.0.0.6', port: 5080, scenario: 'uas-answer.xml' },
];

const DESTINATIONS = [
  { name: 'United Kingdom - London', prefixes: ['4420'] },
  { name: 'United Kingdom - Mobile', prefixes: ['447'] },
];

/** Sells: [seller index, prefix, price, increments, connect fee]. Buys cross them. */
const SELLS: ReadonlyArray<[number, string, string, string, string]> = [
  [1, '4420', '0.009000', '60/60', '0'],
  [0, '4420', '0.010500', '30/6', '0'],
  [0, '447', '0.021000', '1/1', '0'],
  [2, '447', '0.023000', '30/6', '0.002000'],
];

export async function seedDemoMarket(system: System): Promise<void> {
  const api = async <T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${system.apiUrl}${url}`, {
      method, headers: { authorization: `Bearer ${system.operatorToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const existing = await api<{ carriers: Array<{ id: string; name: string }> }>('GET', '/v1/carriers');
  if (existing.body.carriers.some((carrier) => carrier.name === DEMO_BUYERS[0]!.name)) return;

  const carrierId = async (name: string) => (await api<{ id: string }>('POST', '/v1/carriers', { name })).body.id;
  const buyers = [];
  for (const buyer of DEMO_BUYERS) {
    const id = await carrierId(buyer.name);
    await api('POST', `/v1/carriers/${id}/trunks`, { direction: 'ingress', address: buyer.address, channels: 60, cps: 20 });
    // Pre-trading approval: a credit application (the bureau sandbox's grade-A test company), then
    // the demo's own limit, set by hand (an operator's limit stands over the assessment's).
    await api('POST', `/v1/carriers/${id}/credit-applications`, { bureau_id: DEMO_BUREAU_ID });
    await api('PUT', `/v1/carriers/${id}/credit-limit`, { amount: buyer.credit, currency: 'USD' });
    buyers.push(id);
  }
  const sellers = [];
  for (const seller of DEMO_SELLERS) {
    const id = await carrierId(seller.name);
    await api('POST', `/v1/carriers/${id}/trunks`, { direction: 'egress', address: `${seller.address}:${seller.port}`, channels: 400, cps: 100 });
    sellers.push(id);
  }
  for (const destination of DESTINATIONS) await api('POST', '/v1/destinations', destination);
  for (const [seller, prefix, price, increments, connect_fee] of SELLS) {
    await api('POST', '/v1/orders', { carrier_id: sellers[seller], side: 'sell', prefix, price_per_minute: price, currency: 'USD', increments, connect_fee, channels: 200 });
  }
  for (const buyer of buyers) {
    for (const prefix of ['4420', '447']) {
      await api('POST', '/v1/orders', { carrier_id: buyer, side: 'buy', prefix, price_per_minute: '0.030000', currency: 'USD', increments: '60/60', connect_fee: '0.005000', channels: 60 });
    }
  }
}
