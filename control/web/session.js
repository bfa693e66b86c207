/**
 * A signed-in session: its token, its timers and its requests, all ended together by signing out.
 */
/* global AbortController, setTimeout, clearTimeout, setInterval, clearInterval */
import { guarded, serialised } from './api.js';
import { refreshNames } from './names.js';
import { refreshBalances } from './panel-balances.js';
import { refreshLiveCalls } from './panel-calls.js';
import { refreshCdrs } from './panel-cdrs.js';
import { refreshTrades } from './panel-market.js';

/** A burst of CDRs (hundreds a second at peak) refreshes the lists at most this often. */
const CDR_REFRESH_WAIT_MS = 500;
const BALANCE_REFRESH_WAIT_MS = 1_500;
const TRADE_REFRESH_WAIT_MS = 300;
const CARRIERS_REFRESH_WAIT_MS = 1_000;

export class Session {
  /**
   * @param {string} token
   * @param {() => void} onTokenRefused what the page does when the API refuses the token (it signs out)
   */
  constructor(token, onTokenRefused) {
    this.token = token;
    /** Called when the API refuses the token, from a refresh or from the stream. */
    this.tokenRefused = onTokenRefused;
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    /** @type {Array<ReturnType<typeof setInterval>>} */
    this.intervals = [];
    /** @type {Set<ReturnType<typeof setTimeout>>} */
    this.timeouts = new Set();
    /** Whether the stream is delivering events; while it is not, the lists are polled. */
    this.streamLive = false;
    /** Ends the current stream connection (the stream then reconnects); set while one is open. */
    this.dropStream = () => {};
    const panelRefresh = (/** @type {string} */ panel, /** @type {(session: Session) => Promise<void>} */ refresh) => {
      const run = serialised(() => guarded(this, panel, () => refresh(this)));
      return () => void run();
    };
    this.refreshCarriers = panelRefresh('balances', refreshNames);
    this.refreshLiveCalls = panelRefresh('live', refreshLiveCalls);
    this.refreshCdrs = panelRefresh('cdrs', refreshCdrs);
    this.refreshBalances = panelRefresh('balances', refreshBalances);
    this.refreshTrades = panelRefresh('market', refreshTrades);
    this.refreshCarriersSoon = this.coalesced(this.refreshCarriers, CARRIERS_REFRESH_WAIT_MS);
    this.refreshCdrsSoon = this.coalesced(this.refreshCdrs, CDR_REFRESH_WAIT_MS);
    this.refreshBalancesSoon = this.coalesced(this.refreshBalances, BALANCE_REFRESH_WAIT_MS);
    this.refreshTradesSoon = this.coalesced(this.refreshTrades, TRADE_REFRESH_WAIT_MS);
  }

  refreshAll() {
    this.refreshLiveCalls();
    this.refreshCdrs();
    this.refreshBalances();
    this.refreshTrades();
  }

  /**
   * The first request schedules one run after `waitMs`; requests until then ride along. Unlike a
   * debounce, a steady flow of events cannot postpone the refresh for ever.
   * @param {() => void} action
   * @param {number} waitMs
   */
  coalesced(action, waitMs) {
    let scheduled = false;
    return () => {
      if (scheduled) return;
      scheduled = true;
      this.after(waitMs, () => {
        scheduled = false;
        action();
      });
    };
  }

  /**
   * @param {number} delayMs
   * @param {() => void} action
   */
  after(delayMs, action) {
    if (this.signal.aborted) return;
    const timer = setTimeout(() => {
      this.timeouts.delete(timer);
      if (!this.signal.aborted) action();
    }, delayMs);
    this.timeouts.add(timer);
  }

  /**
   * @param {number} periodMs
   * @param {() => void} action
   */
  every(periodMs, action) {
    this.intervals.push(setInterval(action, periodMs));
  }

  /** @param {number} delayMs */
  sleep(delayMs) {
    return new Promise((resolve) => {
      const wake = () => {
        this.signal.removeEventListener('abort', wake);
        resolve(undefined);
      };
      this.signal.addEventListener('abort', wake, { once: true });
      this.after(delayMs, wake);
    });
  }

  end() {
    this.controller.abort();
    for (const interval of this.intervals) clearInterval(interval);
    for (const timeout of this.timeouts) clearTimeout(timeout);
    this.timeouts.clear();
  }
}
