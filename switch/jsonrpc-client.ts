/**
 * Kamailio's JSON-RPC over HTTP (xhttp + jsonrpcs at /RPC): the switch's own view of live dialogs,
 * used to rebuild the control plane's picture after a restart. Every request carries the agent
 * secret as a bearer token (minutex-control.cfg).
 */
import type { HostPort } from '../common/config.ts';

/** Dialog states of Kamailio's dialog module (dlg_hash.h). */
export const DIALOG_STATE = { unconfirmed: 1, early: 2, confirmedNoAck: 3, confirmed: 4, deleted: 5 } as const;

export interface LiveDialog {
  readonly call_id: string;
  readonly h_entry: number;
  readonly h_id: number;
  readonly state: number;
  /** When the dialog was confirmed (answered), in seconds since the epoch; 0 before. */
  readonly start_ts: number;
}

/** How long a JSON-RPC call may take before it is given up, in ms. */
const RPC_TIMEOUT_MS = 5000;

export class KamailioRpc {
  /** `secret`: the agent secret the switch was rendered with; it answers nothing without it. */
  constructor(private readonly address: HostPort, private readonly secret: string) {}

  async call(method: string, params: unknown[] = []): Promise<unknown> {
    const response = await fetch(`http://${this.address.host}:${this.address.port}/RPC`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.secret}` },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    });
    if (response.status === 401) throw new Error(`kamailio ${method}: refused (401): the switch was rendered with another secret`);
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (body.error) {
      // dlg.list answers an error when there is no dialog at all.
      if (method === 'dlg.list' && /no dialogs?/i.test(body.error.message)) return [];
      throw new Error(`kamailio ${method}: ${body.error.code} ${body.error.message}`);
    }
    return body.result;
  }

  async listDialogs(): Promise<LiveDialog[]> {
    const result = await this.call('dlg.list');
    if (!Array.isArray(result)) return [];
    return result.flatMap((raw: unknown) => {
      if (typeof raw !== 'object' || raw === null) return [];
      const dialog = raw as Record<string, unknown>;
      const call_id = dialog['call-id'];
      const h_entry = dialog['h_entry'];
      const h_id = dialog['h_id'];
      const state = dialog['state'];
      if (typeof call_id !== 'string' || typeof h_entry !== 'number' || typeof h_id !== 'number' || typeof state !== 'number') return [];
      const start_ts = typeof dialog['start_ts'] === 'number' ? dialog['start_ts'] : 0;
      return [{ call_id, h_entry, h_id, state, start_ts }];
    });
  }

  /**
   * The switch's in-memory record of a call's answer or end (htable "records", kept while the agent
   * is connected): when and the detail (answered leg, or who hung up); undefined when there is none.
   */
  async switchRecord(call_id: string, kind: 'answered' | 'ended'): Promise<{ at_us: bigint; detail: string } | undefined> {
    let result: unknown;
    try {
      result = await this.call('htable.get', ['records', `${call_id}::${kind}`]);
    } catch (error) {
      if (/doesn't exist|not exist|not found/i.test((error as Error).message)) return undefined;
      throw error;
    }
    const value = (result as { item?: { value?: unknown } } | undefined)?.item?.value;
    if (typeof value !== 'string') return undefined;
    const match = /^(\d{9,11})\.(\d{6})\|(.*)$/.exec(value);
    if (!match) return undefined;
    return { at_us: BigInt(match[1]!) * 1_000_000n + BigInt(match[2]!), detail: match[3]! };
  }

  /** The control plane's decision record the switch keeps with an answered call's in-memory record, if any. */
  async decisionRecord(call_id: string): Promise<string | undefined> {
    try {
      const result = await this.call('htable.get', ['records', `${call_id}::record`]);
      const value = (result as { item?: { value?: unknown } } | undefined)?.item?.value;
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      if (/doesn't exist|not exist|not found/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }
}
