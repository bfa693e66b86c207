/**
 * Live streams open now, per principal: at most `maxPerPrincipal` each (a client that opens one
 * per tab, or a loop that reconnects without closing, cannot hold the process's sockets and
 * subscriptions), and every stream of a key closed when that key is revoked.
 */
import type { Principal } from './auth.ts';

export interface OpenStream {
  /** Ends the stream (the client may reconnect, and is authenticated again). */
  close(): void;
}

export function principalStreamKey(principal: Principal): string {
  return principal.kind === 'carrier' ? `key:${principal.api_key_id}` : `operator:${principal.operator}`;
}

export class StreamRegistry {
  private readonly open = new Map<string, Set<OpenStream>>();

  constructor(private readonly maxPerPrincipal: number) {}

  /** Registers a stream; false (nothing registered) when the principal already holds its maximum. */
  add(key: string, stream: OpenStream): boolean {
    const streams = this.open.get(key) ?? new Set<OpenStream>();
    if (streams.size >= this.maxPerPrincipal) return false;
    streams.add(stream);
    this.open.set(key, streams);
    return true;
  }

  remove(key: string, stream: OpenStream): void {
    const streams = this.open.get(key);
    if (!streams) return;
    streams.delete(stream);
    if (streams.size === 0) this.open.delete(key);
  }

  count(key: string): number {
    return this.open.get(key)?.size ?? 0;
  }

  /** Closes every stream held under `key` (its key was revoked). */
  closeAll(key: string): void {
    for (const stream of [...(this.open.get(key) ?? [])]) stream.close();
    this.open.delete(key);
  }
}
