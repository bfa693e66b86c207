/** Builds a small market through the API: carriers, trunks, a destination, crossing orders. */
import type { RunningSystem } from './system.ts';

export interface Carrier {
  readonly id: string;
}

export async function createCarrier(running: RunningSystem, name: string): Promise<Carrier> {
  const response = await running.api<{ id: string }>('POST', '/v1/carriers', { name });
  if (response.status !== 201) throw new Error(`carrier ${name}: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id };
}

export async function addTrunk(running: RunningSystem, carrier: Carrier, trunk: Record<string, unknown>): Promise<string> {
  const response = await running.api<{ id: string }>('POST', `/v1/carriers/${carrier.id}/trunks`, { channels: 30, cps: 100, ...trunk });
  if (response.status !== 201) throw new Error(`trunk: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function createDestination(running: RunningSystem, name: string, prefixes: string[]): Promise<string> {
  const response = await running.api<{ id: string }>('POST', '/v1/destinations', { name, prefixes });
  if (response.status !== 201) throw new Error(`destination: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function placeOrder(running: RunningSystem, order: Record<string, unknown>): Promise<{ order: { id: string }; trades: Array<{ id: string; price_per_minute: string }> }> {
  const response = await running.api<{ order: { id: string }; trades: Array<{ id: string; price_per_minute: string }> }>('POST', '/v1/orders', {
    currency: 'USD', connect_fee: '0', channels: 10, ...order,
  });
  if (response.status !== 201) throw new Error(`order: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function setCreditLimit(running: RunningSystem, carrier: Carrier, amount: string, currency = 'USD'): Promise<void> {
  const response = await running.api('PUT', `/v1/carriers/${carrier.id}/credit-limit`, { amount, currency });
  if (response.status !== 200) throw new Error(`credit limit: ${response.status} ${JSON.stringify(response.body)}`);
}
