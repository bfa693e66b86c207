/**
 * Tells every control-plane node what changed in the market (carriers, trunks, destinations,
 * trades), so each updates its routing data in place: PostgreSQL NOTIFY on one channel with the
 * change as a small JSON payload (see market-change.ts), LISTEN on a dedicated connection. A node
 * that misses notifications while its connection is down reloads everything when it reconnects,
 * so no node routes on a trade that has ended for longer than a reconnect.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { decodeChange, encodeChange, type MarketChange } from './market-change.ts';

const CHANNEL = 'minutex_market';
const RECONNECT_MS = 1000;

export class MarketSignal {
  /** This node's name in its own messages, so it does not apply again what it applied already. */
  readonly node = randomUUID();
  private listener: { done(): void } | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly onChange: (change: MarketChange) => void, private readonly log: Logger) {}

  /** The market changed here (and this node applied it already): tell the other nodes. */
  broadcast(change: MarketChange): void {
    const payloads = encodeChange(this.node, change);
    this.db.any('select pg_notify($1, payload) from unnest($2::text[]) as p (payload)', [CHANNEL, payloads])
      .catch((error: unknown) => this.log.warn({ err: error, kind: change.kind }, 'market change not signalled'));
  }

  async start(): Promise<void> {
    const connection = await this.db.connect({ direct: true });
    connection.client.on('notification', (message: { payload?: string }) => {
      const { node, change } = decodeChange(message.payload ?? '');
      if (node !== this.node) this.onChange(change);
    });
    connection.client.on('error', () => this.restart());
    await connection.none('listen $1:name', [CHANNEL]);
    this.listener = connection;
    // Anything missed while no connection listened is reloaded now.
    this.onChange({ kind: 'all' });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.listener?.done();
    this.listener = undefined;
  }

  private restart(): void {
    this.listener = undefined;
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.start().catch(() => this.restart()), RECONNECT_MS);
  }
}
