/**
 * Tells every control-plane node that the market (carriers, trunks, destinations, trades) changed,
 * so each reloads its routing snapshot: PostgreSQL NOTIFY on one channel, LISTEN on a dedicated
 * connection. A node that misses notifications while its connection is down reloads when it
 * reconnects, so no node routes on a trade that has ended for longer than a reconnect.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';

const CHANNEL = 'minutex_market';
const RECONNECT_MS = 1000;

export class MarketSignal {
  private listener: { done(): void } | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly onChange: () => void, private readonly log: Logger) {}

  /** The market changed here: tell every node (this one included) to reload. */
  broadcast(): void {
    this.db.any('select pg_notify($1, $2)', [CHANNEL, String(process.pid)]).catch((error: unknown) => this.log.warn({ err: error }, 'market change not signalled'));
  }

  async start(): Promise<void> {
    const connection = await this.db.connect({ direct: true });
    connection.client.on('notification', () => this.onChange());
    connection.client.on('error', () => this.restart());
    await connection.none('listen $1:name', [CHANNEL]);
    this.listener = connection;
    // Anything missed while no connection listened is reloaded now.
    this.onChange();
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
