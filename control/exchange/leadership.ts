/**
 * Which node writes the books. Every node tries, every `poll_ms`, to take a PostgreSQL advisory
 * lock on a session of its own; the one that holds it records itself as leader in a new term
 * (control/store/exchange-leader.ts) and its exchange leads in that term: it rebuilds the books
 * from PostgreSQL and runs every order command. The lock lives as long as the session, so a
 * leader that stops or dies frees it, and another node takes it on its next try. A leader whose
 * session fails stops writing at once; a write it had under way is refused by the fence of its
 * term if a new leader was elected meanwhile.
 */
import type { Logger } from '../../common/logger.ts';
import type { ExchangeLeaderStore, LeaderRow, LockSession } from '../store/exchange-leader.ts';
import type { Exchange } from './exchange.ts';

export interface LeadershipOptions {
  /** How this node names itself in the leader row. */
  readonly node_id: string;
  /** Where the other nodes reach this node's API to forward orders. */
  readonly api_url: string;
  /** How often a follower tries to take the lead, and a leader checks it still holds it, in ms. */
  readonly poll_ms: number;
}

export class ExchangeLeadership {
  private session: LockSession | undefined;
  private term: bigint | null = null;
  private known: LeaderRow | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: ExchangeLeaderStore,
    private readonly exchange: Exchange,
    readonly options: LeadershipOptions,
    private readonly log: Logger,
  ) {}

  /** True while this node holds the lock and its exchange leads. */
  get isLeader(): boolean {
    return this.term !== null && this.exchange.leading;
  }

  /** The leader as last read (every poll, or on refresh()). */
  get leader(): LeaderRow | undefined {
    return this.known;
  }

  async refresh(): Promise<LeaderRow> {
    this.known = await this.store.current();
    return this.known;
  }

  /** Follows until the first try, which runs now: a node alone on its database leads when this resolves. */
  async start(): Promise<void> {
    this.exchange.follow();
    await this.tickNow();
    this.schedule();
  }

  /** Stops trying and lets go of the lead: closing the session frees the lock for another node. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.letGo('stopping');
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tickNow().then(() => this.schedule());
    }, this.options.poll_ms);
  }

  private tickNow(): Promise<void> {
    this.ticking = this.tick();
    return this.ticking;
  }

  private async tick(): Promise<void> {
    try {
      if (this.term !== null) {
        // The exchange itself steps down when a write meets a newer term.
        if (!this.exchange.leading || !(await this.store.holdsLock(this.session!))) await this.letGo('the lead was lost');
      } else {
        this.session ??= await this.openSession();
        if (await this.store.tryLock(this.session)) await this.takeLead(this.session);
      }
      await this.refresh();
    } catch (error) {
      this.log.warn({ err: error }, 'exchange leadership check failed');
      await this.letGo('the lock session failed');
    }
  }

  private async takeLead(session: LockSession): Promise<void> {
    const term = await this.store.claim(session, this.options.node_id, this.options.api_url);
    this.term = term;
    await this.exchange.lead(term);
  }

  private async openSession(): Promise<LockSession> {
    const session = await this.store.openLockSession();
    // A session that breaks takes the lock with it: stop writing now, not at the next check.
    session.client.on('error', () => {
      if (this.session === session) void this.letGo('the lock session broke');
    });
    return session;
  }

  /** Stops writing at once; resolves when the session (and with it the lock) is closed. */
  private async letGo(why: string): Promise<void> {
    if (this.term !== null) this.log.warn({ why, term: this.term.toString() }, 'no longer leading the exchange');
    this.term = null;
    this.exchange.follow();
    const session = this.session;
    this.session = undefined;
    if (session === undefined) return;
    try {
      await session.done();
    } catch {
      // A session that is already closed took the lock with it.
    }
  }
}
