/**
 * bench:noc-page's synthetic source: calls in progress made up in this process and written into
 * the page's stream as the control plane would, with the moment each call event was written (for
 * the event-to-DOM latency), so that the page can be measured at a scale without the switch's load.
 */
import type http from 'node:http';

/** A call as the stream sends it to an operator (control/api/views/live-calls.ts). */
export interface StreamCall { call_id: string; buyer_id: string; number: string; destination_id: string; state: string; setup_at: string; answer_at: string | null; seller_id: string | null; legs_tried: number }

/** Call events written to the page, by "Call-ID|state", with when they were written (ms since the epoch). */
export const sentAt = new Map<string, number>();

/** A synthetic call is answered this long after its setup, as a real one rings first. */
const SYNTHETIC_RING_MS = 2_000;

/** Calls in progress made up here: started at `cps`, answered after a ring, ended after `holdMs`. */
export class SyntheticCalls {
  private readonly calls = new Map<string, StreamCall>();
  private readonly clients = new Set<http.ServerResponse>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly holdMs: number;

  constructor(private readonly count: number, private readonly cps: number, private readonly buyerIds: string[], private readonly sellerIds: string[], private readonly destinationId: string) {
    this.holdMs = (count / cps) * 1000;
    // At the start, `count` calls already in progress, their setups spread over one hold.
    const now = Date.now();
    for (let index = 0; index < count; index += 1) this.start(now - this.holdMs + (index * this.holdMs) / count, false);
  }

  private start(setupMs: number, send: boolean): void {
    const index = this.next++;
    const call: StreamCall = {
      call_id: `synthetic-${index}@127.0.0.1`, buyer_id: this.buyerIds[index % this.buyerIds.length]!, number: `3491${String(1_000_000 + (index % 9_000_000))}`,
      destination_id: this.destinationId, state: 'routing', setup_at: new Date(setupMs).toISOString(), answer_at: null, seller_id: null, legs_tried: 0,
    };
    if (Date.now() - setupMs >= SYNTHETIC_RING_MS) Object.assign(call, { state: 'answered', answer_at: new Date(setupMs + SYNTHETIC_RING_MS).toISOString(), seller_id: this.sellerIds[index % this.sellerIds.length]!, legs_tried: 1 });
    this.calls.set(call.call_id, call);
    if (send) this.send('call', call);
  }

  private send(event: string, data: StreamCall | Record<string, unknown>): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of this.clients) client.write(frame);
    if (event === 'call') sentAt.set(`${String(data['call_id'])}|${String(data['state'])}`, Date.now());
  }

  /** Every 50 ms: the calls due to start, be answered and end. */
  run(): void {
    let owed = 0;
    this.timer = setInterval(() => {
      const now = Date.now();
      owed += this.cps / 20;
      for (; owed >= 1; owed -= 1) this.start(now, true);
      for (const call of [...this.calls.values()]) {
        const setupMs = Date.parse(call.setup_at);
        if (call.state === 'routing' && now - setupMs >= SYNTHETIC_RING_MS) {
          const index = Number(call.call_id.slice('synthetic-'.length, call.call_id.indexOf('@')));
          Object.assign(call, { state: 'answered', answer_at: new Date(now).toISOString(), seller_id: this.sellerIds[index % this.sellerIds.length]!, legs_tried: 1 });
          this.send('call', call);
        } else if (now - setupMs >= this.holdMs) {
          this.calls.delete(call.call_id);
          this.send('call', { ...call, state: 'ended' });
          this.send('cdr', { call_id: call.call_id, final_sip_code: 200, duration_ms: now - Date.parse(call.answer_at ?? call.setup_at), buyer_id: call.buyer_id, seller_id: call.seller_id });
        }
      }
    }, 50);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const client of this.clients) client.end();
  }

  snapshot(): StreamCall[] {
    return [...this.calls.values()];
  }

  attach(response: http.ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(`event: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
  }

  get size(): number {
    return this.count;
  }
}
