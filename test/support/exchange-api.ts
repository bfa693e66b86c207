/** Carriers' side of the API for integration tests: API keys, requests with a key, row counts. */
import type { Db } from '../../common/db/database.ts';
import type { Carrier } from './market.ts';
import type { RunningSystem } from './system.ts';

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

/** One request with any bearer token; `body` is sent as JSON unless a content type is given. */
export async function request<T = unknown>(running: RunningSystem, token: string, method: string, url: string, body?: unknown, contentType?: string): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const response = await fetch(`${running.system.apiUrl}${url}`, {
    method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, text };
}

export type CarrierClient = <T = unknown>(method: string, url: string, body?: unknown, contentType?: string) => Promise<ApiResponse<T>>;

export async function createApiKey(running: RunningSystem, carrier: Carrier): Promise<{ id: string; key: string }> {
  const response = await running.api<{ id: string; key: string }>('POST', `/v1/carriers/${carrier.id}/api-keys`);
  if (response.status !== 201) throw new Error(`api key: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A client that speaks for the carrier with a fresh API key of its own. */
export async function carrierClient(running: RunningSystem, carrier: Carrier): Promise<CarrierClient> {
  const { key } = await createApiKey(running, carrier);
  return (method, url, body, contentType) => request(running, key, method, url, body, contentType);
}

/** Row counts of the tables a refused request must leave alone. */
export async function rowCounts(db: Db, tables: readonly string[] = ['orders', 'order_events', 'trades', 'audit_log', 'rate_decks', 'destinations', 'destination_prefixes']): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number((await db.one<{ count: bigint }>('select count(*) as count from $1:name', [table])).count);
  return counts;
}
