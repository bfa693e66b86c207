/**
 * Where this node's order commands go: to its own exchange while it leads, otherwise over HTTP to
 * the leading node (leader-client.ts), whose outcome is returned as if it had been decided here.
 * A command that certainly was not stored (no leader yet, the leader refused it, the connection
 * was refused) is tried again a few times, so an election in progress costs the caller a short
 * wait rather than an error; one whose outcome is unknown (the leader died while answering) is
 * never tried again here, and the caller gets a retryable ExchangeUnavailableError: a submit sent
 * again with its client_order_id answers with the order that stands.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Subject } from 'rxjs';
import type { BookView } from '../core/matching/types.ts';
import type { AmendChanges, AmendOutcome, CancelOutcome, Exchange, MarketEvent, SubmitOutcome } from './exchange.ts';
import { ExchangeUnavailableError, notLeader } from './exchange-unavailable.ts';
import { ForwardedSubmits, MAX_FORWARDED_SUBMITS, settleForwarded, type ForwardedResult, type ForwardedSubmit } from './forwarded-submits.ts';
import type { LeaderClient } from './leader-client.ts';
import type { ExchangeLeadership } from './leadership.ts';
import type { ParsedOrder } from './order-input.ts';
import type { DeckLine, DeckOutcome } from './rate-deck.ts';

/** The order commands, wherever they run. */
export interface ExchangeCommands {
  submit(order: ParsedOrder, actor: string): Promise<SubmitOutcome>;
  cancel(order_id: string, carrier_id: string | null, actor: string): Promise<CancelOutcome>;
  amend(order_id: string, carrier_id: string | null, changes: AmendChanges, actor: string): Promise<AmendOutcome>;
  replaceRateDeck(carrier_id: string, currency: string, lines: readonly DeckLine[], actor: string): Promise<DeckOutcome>;
  cancelRestingOrdersOf(carrier_id: string, reason: string, actor: string): Promise<{ cancelled: string[] }>;
  book(destination_id: string, currency: string, max_levels: number): Promise<BookView>;
}

/** Tries of a command that certainly was not stored, and the wait between them (an election takes up to a poll). */
const MAX_TRIES = 4;
const RETRY_DELAY_MS = 300;
/** Arguments each command takes. */
const ARITY: Readonly<Record<string, number>> = { submit: 2, 'submit-group': 1, cancel: 3, 'cancel-resting-orders': 3, amend: 4, 'replace-rate-deck': 4, book: 3 };

export class ExchangeGateway implements ExchangeCommands {
  /** Submits on their way to the leader, grouped (see forwarded-submits.ts). */
  private readonly forwardedSubmits = new ForwardedSubmits((group) => this.forwardNow<ForwardedResult[]>('submit-group', [group]));

  constructor(
    private readonly exchange: Exchange,
    private readonly leadership?: ExchangeLeadership,
    private readonly client?: LeaderClient,
    private readonly nodeKey?: string,
  ) {}

  /** What this node's exchange published: on a node that does not lead, nothing. */
  get events(): Subject<MarketEvent> {
    return this.exchange.events;
  }

  get leading(): boolean {
    return this.exchange.leading;
  }

  submit(order: ParsedOrder, actor: string): Promise<SubmitOutcome> {
    return this.route('submit', [order, actor]);
  }

  cancel(order_id: string, carrier_id: string | null, actor: string): Promise<CancelOutcome> {
    return this.route('cancel', [order_id, carrier_id, actor]);
  }

  amend(order_id: string, carrier_id: string | null, changes: AmendChanges, actor: string): Promise<AmendOutcome> {
    return this.route('amend', [order_id, carrier_id, changes, actor]);
  }

  replaceRateDeck(carrier_id: string, currency: string, lines: readonly DeckLine[], actor: string): Promise<DeckOutcome> {
    return this.route('replace-rate-deck', [carrier_id, currency, lines, actor]);
  }

  cancelRestingOrdersOf(carrier_id: string, reason: string, actor: string): Promise<{ cancelled: string[] }> {
    return this.route('cancel-resting-orders', [carrier_id, reason, actor]);
  }

  book(destination_id: string, currency: string, max_levels: number): Promise<BookView> {
    return this.route('book', [destination_id, currency, max_levels]);
  }

  /** True when a request carries the nodes' shared key. */
  acceptsNodeKey(presented: string | undefined): boolean {
    if (this.nodeKey === undefined || presented === undefined) return false;
    const expected = Buffer.from(this.nodeKey);
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** A command another node forwarded: run by this node's exchange if it leads, refused otherwise (never forwarded on). */
  serveForwarded(command: string, args: readonly unknown[]): Promise<unknown> {
    if (!this.exchange.leading) return Promise.reject(notLeader());
    return this.runHere(command, args);
  }

  private async route<T>(command: string, args: readonly unknown[]): Promise<T> {
    for (let tries = 1; ; tries += 1) {
      try {
        if (this.exchange.leading) return (await this.runHere(command, args)) as T;
        return await this.forward<T>(command, args);
      } catch (error) {
        if (!(error instanceof ExchangeUnavailableError) || error.stored !== 'no' || tries >= MAX_TRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        await this.leadership?.refresh();
      }
    }
  }

  private forward<T>(command: string, args: readonly unknown[]): Promise<T> {
    if (command === 'submit') return this.forwardedSubmits.submit(args[0] as ParsedOrder, args[1] as string) as Promise<T>;
    return this.forwardNow<T>(command, args);
  }

  private forwardNow<T>(command: string, args: readonly unknown[]): Promise<T> {
    const leader = this.leadership?.leader;
    if (this.client === undefined || leader?.api_url == null || leader.api_url === this.leadership?.options.api_url) {
      return Promise.reject(new ExchangeUnavailableError('no node leads the exchange now', 'no'));
    }
    return this.client.call<T>(leader.api_url, command, args);
  }

  private runHere(command: string, args: readonly unknown[]): Promise<unknown> {
    if (ARITY[command] !== args.length) return Promise.reject(new Error(`exchange command ${command} with ${args.length} arguments`));
    // The arguments are this program's own, checked by the forwarding node's API before they left.
    const a = args as never[];
    switch (command) {
      case 'submit': return this.exchange.submit(a[0]!, a[1]!);
      case 'submit-group': return this.submitGroup(a[0]!);
      case 'cancel': return this.exchange.cancel(a[0]!, a[1]!, a[2]!);
      case 'cancel-resting-orders': return this.exchange.cancelRestingOrdersOf(a[0]!, a[1]!, a[2]!);
      case 'amend': return this.exchange.amend(a[0]!, a[1]!, a[2]!, a[3]!);
      case 'replace-rate-deck': return this.exchange.replaceRateDeck(a[0]!, a[1]!, a[2]!, a[3]!);
      case 'book': return this.exchange.book(a[0]!, a[1]!, a[2]!);
      default: return Promise.reject(new Error(`unknown exchange command ${command}`));
    }
  }

  /** Submits another node forwarded together: they join this exchange's submit groups like its own. */
  private submitGroup(group: readonly ForwardedSubmit[]): Promise<ForwardedResult[]> {
    if (group.length > MAX_FORWARDED_SUBMITS) return Promise.reject(new Error(`a forwarded submit group of ${group.length}`));
    return settleForwarded(group.map(([order, actor]) => this.exchange.submit(order, actor)));
  }
}
