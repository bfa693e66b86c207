/**
 * Sends an order command to the leading node's API and returns its outcome (see gateway.ts and
 * control/api/routes/exchange-forwarding.ts). Node-to-node requests carry the nodes' shared key,
 * a server secret every node reads from PostgreSQL.
 */
import { ExchangeUnavailableError } from './exchange-unavailable.ts';
import { decodeWire, encodeWire } from './wire.ts';

export const FORWARD_PATH = '/internal/exchange/';
export const NODE_KEY_HEADER = 'x-minutex-node-key';
export const WIRE_CONTENT_TYPE = 'application/vnd.minutex.exchange+json';
/** Name of the server secret that node-to-node requests carry. */
export const NODE_KEY_SECRET = 'exchange_forwarding';

/** What the leader answers when it refused a command without storing anything. */
export const NOT_LEADER_STATUS = 503;

export class LeaderClient {
  constructor(private readonly nodeKey: string, private readonly timeoutMs: number) {}

  async call<T>(api_url: string, command: string, args: readonly unknown[]): Promise<T> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${api_url}${FORWARD_PATH}${command}`, {
        method: 'POST',
        headers: { 'content-type': WIRE_CONTENT_TYPE, [NODE_KEY_HEADER]: this.nodeKey },
        body: encodeWire(args),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      // A refused connection never reached the leader; anything later may have been stored there.
      const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
      throw new ExchangeUnavailableError(`the leading node (${api_url}) did not answer`, refused ? 'no' : 'unknown');
    }
    if (status === 200) return decodeWire(text) as T;
    if (status === NOT_LEADER_STATUS) throw new ExchangeUnavailableError(`the node at ${api_url} no longer leads the exchange`, 'no');
    throw new Error(`the leading node answered ${status} to ${command}: ${text.slice(0, 300)}`);
  }
}
