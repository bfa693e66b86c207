/**
 * Sends an order command to the leading node's API and returns its outcome (see gateway.ts and
 * control/api/routes/exchange-forwarding.ts). Node-to-node requests carry the nodes' shared key,
 * a server secret every node reads from PostgreSQL. Requests go over kept-alive connections of
 * node:http, which costs less per request than fetch.
 */
import http from 'node:http';
import { ExchangeUnavailableError } from './exchange-unavailable.ts';
import { decodeWire, encodeWire } from './wire.ts';

export const FORWARD_PATH = '/internal/exchange/';
export const NODE_KEY_HEADER = 'x-minutex-node-key';
export const WIRE_CONTENT_TYPE = 'application/vnd.minutex.exchange+json';
/** Name of the server secret that node-to-node requests carry. */
export const NODE_KEY_SECRET = 'exchange_forwarding';

/** What the leader answers when it refused a command without storing anything. */
export const NOT_LEADER_STATUS = 503;
/** Connections kept open to the leader: more requests than this wait for one. */
const MAX_SOCKETS = 16;

export class LeaderClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });

  constructor(private readonly nodeKey: string, private readonly timeoutMs: number) {}

  async call<T>(api_url: string, command: string, args: readonly unknown[]): Promise<T> {
    let answer: { status: number; text: string };
    try {
      answer = await this.post(new URL(`${FORWARD_PATH}${command}`, api_url), encodeWire(args));
    } catch (error) {
      // A refused connection never reached the leader; anything later may have been stored there.
      const refused = (error as { code?: string }).code === 'ECONNREFUSED';
      throw new ExchangeUnavailableError(`the leading node (${api_url}) did not answer`, refused ? 'no' : 'unknown');
    }
    if (answer.status === 200) return decodeWire(answer.text) as T;
    if (answer.status === NOT_LEADER_STATUS) throw new ExchangeUnavailableError(`the node at ${api_url} no longer leads the exchange`, 'no');
    throw new Error(`the leading node answered ${answer.status} to ${command}: ${answer.text.slice(0, 300)}`);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private post(url: URL, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(url, {
        method: 'POST', agent: this.agent, timeout: this.timeoutMs,
        headers: { 'content-type': WIRE_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), [NODE_KEY_HEADER]: this.nodeKey },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}
