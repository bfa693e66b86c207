/**
 * The routing data in memory (carriers' status, trunks, destination prefixes, live trades), kept
 * up to date in place from the events that change it, on every node:
 *
 * - the exchange's committed events on this node (a trade made or ended) are applied at once,
 *   before the next call setup, and told to the other nodes;
 * - a change another node made arrives as a NOTIFY payload naming what changed (see
 *   market-change.ts), and just those rows are read again in the background and applied;
 * - at start, on a reconnect of the listening connection, and for a change too big to name, the
 *   whole of it is loaded off to the side and swapped in at once, while calls keep using the old.
 *
 * A call setup reads `current()`, which never waits. The background work runs one job at a time,
 * in the order the changes arrived, so a later reading of a row is never overtaken by an earlier.
 */
import type { Logger } from '../../common/logger.ts';
import type { RoutingSnapshot } from '../core/routing.ts';
import { RoutingTables, type TradeRecord } from '../core/routing-tables.ts';
import type { MarketEvent } from '../exchange/market-events.ts';
import type { ImportedPrefix } from './destination-import.ts';
import type { IdsKind, MarketChange } from './market-change.ts';
import type { PrefixFilter, PrefixRow, RoutingSource } from './routing-source.ts';

/** Pause before a failed background reading is retried as a full reload. */
const RETRY_MS = 1000;
/** Ids waiting to be read again, at most; past this one full reload replaces them. */
const MAX_PENDING_IDS = 50_000;
/** Ended trades remembered, so a reading taken before a trade ended cannot bring it back. */
const MAX_REMEMBERED_ENDED_TRADES = 100_000;
/** Longest wait of the timer for prefixes that take effect later (setTimeout holds 2^31 ms). */
const MAX_TIMER_MS = 3_600_000;

/** An import this node wrote: its lines, and the id of each destination they name. */
interface ImportedHere {
  readonly lines: readonly ImportedPrefix[];
  readonly destination_ids: ReadonlyMap<string, string>;
}

/** Import lines applied between two turns of the event loop, so calls go on during a large import. */
const IMPORT_LINES_PER_TURN = 20_000;

/** A prefix that takes effect later: it routes nowhere until then. */
interface LaterPrefix {
  readonly destination_id: string;
  readonly at_ms: number;
}

interface Pending {
  all: boolean;
  readonly ids: Record<IdsKind, Set<string>>;
  readonly imports: string[];
  /** Imports this node wrote, applied from their lines. */
  readonly importedHere: ImportedHere[];
  readonly waiters: Array<() => void>;
}

function emptyPending(): Pending {
  return { all: false, ids: { trades: new Set(), trunks: new Set(), carriers: new Set(), destinations: new Set() }, imports: [], importedHere: [], waiters: [] };
}

export class RoutingSnapshotCache {
  private tables = new RoutingTables();
  private loaded = false;
  private markReady: () => void = () => undefined;
  /** Resolves once the first full load is in: until then `current()` routes nothing. */
  readonly ready: Promise<void>;
  private broadcast: ((change: MarketChange) => void) | undefined;
  private pending = emptyPending();
  private running = false;
  /** While a full load runs: this node's own changes, applied again to the new tables before the swap. */
  private replay: Array<(tables: RoutingTables) => void> | undefined;
  private readonly endedTrades = new Set<string>();
  private later = new Map<string, LaterPrefix>();
  private laterTimer: NodeJS.Timeout | undefined;
  private tradesToTell: string[] = [];
  private stopped = false;
  private readonly trunkListeners: Array<() => Promise<void>> = [];
  private readonly carrierListeners: Array<(ids: readonly string[] | null) => Promise<void>> = [];

  constructor(private readonly source: RoutingSource, private readonly log?: Logger, private readonly clock: () => number = Date.now) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  /** How a change made here reaches the other nodes (see MarketSignal). */
  setBroadcast(broadcast: (change: MarketChange) => void): void {
    this.broadcast = broadcast;
  }

  /** The routing data now; never waits. */
  current(): RoutingSnapshot {
    return this.tables;
  }

  /** The routing data now, once the first load is in (kept for callers that await it). */
  get(): Promise<RoutingSnapshot> {
    return this.loaded ? Promise.resolve(this.tables) : this.ready.then(() => this.tables);
  }

  /** Trades made and ended by this node's exchange: applied now, then told to the other nodes. */
  applyMarketEvent(event: MarketEvent): void {
    if (event.kind === 'order_changed') return;
    if (event.kind === 'trade_made') {
      const trade: TradeRecord = {
        id: event.trade_id, buyer_id: event.buyer_id, seller_id: event.seller_id, destination_id: event.destination_id, currency: event.currency.trim(),
        price_per_minute_micros: event.price_per_minute_micros, first_increment_s: event.first_increment_s, next_increment_s: event.next_increment_s,
        connect_fee_micros: event.connect_fee_micros, channels: event.channels,
      };
      this.applyHere((tables) => this.upsertTrade(tables, trade));
    } else {
      this.rememberEnded(event.trade_id);
      this.applyHere((tables) => tables.removeTrade(event.trade_id));
    }
    // One command's events arrive together: one message names all their trades.
    if (this.tradesToTell.length === 0) queueMicrotask(() => this.tellTrades());
    this.tradesToTell.push(event.trade_id);
  }

  /**
   * A change this node wrote (a carrier, a trunk, a destination, an import): its rows are read
   * again and applied here (the promise resolves then), and the other nodes are told.
   */
  changed(change: MarketChange): Promise<void> {
    const applied = this.enqueue(change);
    this.broadcast?.(change);
    return applied;
  }

  /**
   * An import this node wrote: applied here from its lines (no reading back a million prefixes),
   * a chunk at a time; the other nodes are told its id and read what it wrote.
   */
  imported(import_id: string, lines: readonly ImportedPrefix[], destination_ids: ReadonlyMap<string, string>): Promise<void> {
    this.pending.importedHere.push({ lines, destination_ids });
    const applied = this.schedule();
    this.broadcast?.({ kind: 'import', import_id });
    return applied;
  }

  /** A change another node made: read and applied here in the background. */
  changedElsewhere(change: MarketChange): void {
    void this.enqueue(change);
  }

  /** Loads everything again off to the side and swaps it in (start, reconnect, unknown change). */
  reloadAll(): Promise<void> {
    return this.enqueue({ kind: 'all' });
  }

  /**
   * Called after trunks changed here (or everything was loaded again), before the change's
   * promise resolves: the switch's list of known sources follows (switch/trunk-sources.ts).
   */
  onTrunksChanged(listener: () => Promise<void>): void {
    this.trunkListeners.push(listener);
  }

  /**
   * Called after carriers changed here or on another node (their ids; null when everything was
   * loaded again): what a node keeps of a carrier outside the routing data (its credit leases) follows.
   */
  onCarriersChanged(listener: (ids: readonly string[] | null) => Promise<void>): void {
    this.carrierListeners.push(listener);
  }

  private async tellCarriersChanged(ids: readonly string[] | null): Promise<void> {
    for (const listener of this.carrierListeners) await listener(ids);
  }

  private async tellTrunksChanged(): Promise<void> {
    for (const listener of this.trunkListeners) await listener();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.laterTimer);
  }

  private tellTrades(): void {
    const ids = this.tradesToTell;
    this.tradesToTell = [];
    if (ids.length > 0) this.broadcast?.({ kind: 'trades', ids });
  }

  private applyHere(change: (tables: RoutingTables) => void): void {
    change(this.tables);
    this.replay?.push(change);
  }

  private upsertTrade(tables: RoutingTables, trade: TradeRecord): void {
    if (!this.endedTrades.has(trade.id)) tables.upsertTrade(trade);
  }

  private rememberEnded(trade_id: string): void {
    this.endedTrades.add(trade_id);
    if (this.endedTrades.size > MAX_REMEMBERED_ENDED_TRADES) {
      const oldest = this.endedTrades.values().next();
      if (oldest.done !== true) this.endedTrades.delete(oldest.value);
    }
  }

  private enqueue(change: MarketChange): Promise<void> {
    const pending = this.pending;
    if (change.kind === 'all') pending.all = true;
    else if (change.kind === 'import') pending.imports.push(change.import_id);
    else for (const id of change.ids) pending.ids[change.kind].add(id);
    const count = Object.values(pending.ids).reduce((sum, ids) => sum + ids.size, 0) + pending.imports.length;
    if (count > MAX_PENDING_IDS) pending.all = true;
    return this.schedule();
  }

  /** Resolves when the job that takes what is pending now is done. */
  private schedule(): Promise<void> {
    const done = new Promise<void>((resolve) => this.pending.waiters.push(resolve));
    if (!this.running) void this.work();
    return done;
  }

  /** One job at a time: each takes every change waiting when it starts. */
  private async work(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.pending.waiters.length > 0) {
        const job = this.pending;
        this.pending = emptyPending();
        try {
          if (job.all) await this.loadAll();
          else await this.readAgain(job);
          if (job.all || job.ids.trunks.size > 0) await this.tellTrunksChanged();
          if (job.all || job.ids.carriers.size > 0) await this.tellCarriersChanged(job.all ? null : [...job.ids.carriers]);
        } catch (error) {
          // What could not be read is not lost: everything is loaded again after a pause.
          this.log?.error({ err: error }, 'routing data not updated; reloading it whole');
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
          this.pending.all = true;
          this.pending.waiters.push(() => undefined);
        }
        for (const resolve of job.waiters) resolve();
      }
    } finally {
      this.running = false;
    }
  }

  private async loadAll(): Promise<void> {
    const replay: Array<(tables: RoutingTables) => void> = [];
    this.replay = replay;
    try {
      const started = this.clock();
      const tables = new RoutingTables();
      const later = new Map<string, LaterPrefix>();
      const trades = await this.source.trades();
      const trunks = await this.source.trunks();
      const carriers = await this.source.carriers();
      const prefixes = await this.source.prefixes({ all: true }, (rows) => setPrefixes(tables, later, rows));
      for (const row of carriers) tables.setCarrierStatus(row.id, row.status);
      for (const { trunk } of trunks) tables.upsertTrunk(trunk);
      for (const { trade } of trades) this.upsertTrade(tables, trade);
      for (const change of replay) change(tables);
      this.tables = tables;
      this.later = later;
      this.armLaterTimer();
      this.log?.info({ prefixes, trades: tables.tradeCount, trunks: trunks.length, load_ms: this.clock() - started }, 'routing data loaded');
    } finally {
      this.replay = undefined;
    }
    this.loaded = true;
    this.markReady();
  }

  private async readAgain(job: Pending): Promise<void> {
    const { trades, trunks, carriers, destinations } = job.ids;
    if (carriers.size > 0) {
      const found = new Map((await this.source.carriers([...carriers])).map((row) => [row.id, row.status]));
      for (const id of carriers) this.tables.setCarrierStatus(id, found.get(id) ?? null);
    }
    if (trunks.size > 0) {
      const rows = await this.source.trunks([...trunks]);
      for (const id of trunks) this.tables.removeTrunk(id);
      for (const { trunk, carrier_status } of rows) {
        this.tables.setCarrierStatus(trunk.carrier_id, carrier_status);
        this.tables.upsertTrunk(trunk);
      }
    }
    if (trades.size > 0) {
      const live = new Set<string>();
      for (const { trade, live: isLive } of await this.source.trades([...trades])) {
        if (!isLive) continue;
        live.add(trade.id);
        this.upsertTrade(this.tables, trade);
      }
      for (const id of trades) {
        if (live.has(id)) continue;
        this.rememberEnded(id);
        this.tables.removeTrade(id);
      }
    }
    if (destinations.size > 0) await this.readPrefixes({ destination_ids: [...destinations] });
    for (const import_id of job.imports) await this.readPrefixes({ import_id });
    for (const imported of job.importedHere) await this.applyImportedLines(imported);
  }

  /** The same outcome as reading the import back: a dated line takes effect at its date; an
   * undated one now, unless its prefix stays where it was and takes effect later already. */
  private async applyImportedLines({ lines, destination_ids }: ImportedHere): Promise<void> {
    for (let start = 0; start < lines.length; start += IMPORT_LINES_PER_TURN) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const now = this.clock();
      for (let index = start; index < Math.min(lines.length, start + IMPORT_LINES_PER_TURN); index += 1) {
        const line = lines[index]!;
        const destination_id = destination_ids.get(line.name);
        if (destination_id === undefined) throw new Error(`import names destination ${JSON.stringify(line.name)} without its id`);
        const at = line.effective_from_ms;
        if (at === null && this.later.get(line.prefix)?.destination_id === destination_id) continue;
        if (at !== null && at > now) {
          this.later.set(line.prefix, { destination_id, at_ms: at });
          this.tables.setPrefix(line.prefix, null);
        } else {
          this.later.delete(line.prefix);
          this.tables.setPrefix(line.prefix, destination_id);
        }
      }
    }
    this.armLaterTimer();
  }

  /** Applies prefixes to the tables in use a chunk at a time, so calls go on between chunks. */
  private async readPrefixes(filter: PrefixFilter): Promise<void> {
    await this.source.prefixes(filter, (rows) => setPrefixes(this.tables, this.later, rows));
    this.armLaterTimer();
  }

  private armLaterTimer(): void {
    clearTimeout(this.laterTimer);
    if (this.later.size === 0 || this.stopped) return;
    let next = Infinity;
    for (const entry of this.later.values()) next = Math.min(next, entry.at_ms);
    this.laterTimer = setTimeout(() => this.applyDuePrefixes(), Math.min(Math.max(next - this.clock(), 0), MAX_TIMER_MS));
    this.laterTimer.unref();
  }

  private applyDuePrefixes(): void {
    const now = this.clock();
    for (const [prefix, entry] of this.later) {
      if (entry.at_ms > now) continue;
      this.later.delete(prefix);
      this.tables.setPrefix(prefix, entry.destination_id);
    }
    this.armLaterTimer();
  }
}

/** Prefixes as read: in effect now, or routing nowhere until they take effect. */
function setPrefixes(tables: RoutingTables, later: Map<string, LaterPrefix>, rows: readonly PrefixRow[]): void {
  for (const [prefix, destination_id, later_ms] of rows) {
    if (later_ms === null) {
      later.delete(prefix);
      tables.setPrefix(prefix, destination_id);
    } else {
      later.set(prefix, { destination_id, at_ms: later_ms });
      tables.setPrefix(prefix, null);
    }
  }
}
