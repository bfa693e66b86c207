/**
 * Prometheus figures (prom-client) for the NOC's Grafana: calls, route decisions and their
 * latency, the CDR outbox, billing and credit, quality per scope, trunks' health and alarms.
 * Counters that the code keeps anyway are read at scrape time (collect), so the call path pays
 * nothing for them; the decision latency is a real histogram, observed per decision.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../../common/db/database.ts';
import type { RouteDecider, RouteRequest } from '../../switch/agent.ts';
import type { RouteDecision } from '../../switch/decisions.ts';
import type { CallTracker } from '../calls/call-tracker.ts';
import type { QualityStats } from '../core/quality/quality-counts.ts';
import type { AlarmEngine } from './alarm-engine.ts';
import type { AlarmWebhook } from './alarm-webhook.ts';
import type { QualityCommitments } from './quality-commitments.ts';
import type { QualityMonitor } from './quality-monitor.ts';
import type { NocRouteGuard } from './route-guard.ts';
import type { TrunkHealth } from './trunk-health.ts';

export interface MetricSources {
  readonly db: Db;
  readonly calls: CallTracker;
  readonly quality: QualityMonitor;
  readonly health: TrunkHealth;
  readonly alarms: AlarmEngine;
  readonly guard: NocRouteGuard;
  readonly commitments: QualityCommitments;
  readonly webhook: AlarmWebhook | undefined;
}

/** The money side's figures, read at scrape time: billing's batch processor and credit control. */
export interface MoneySources {
  readonly billing: { readonly postedTotal: number; readonly quarantinedTotal: number };
  readonly credit: { readonly followedCalls: number; readonly cutoffs: { subscribe(observer: () => void): unknown } };
}

/** Scopes exported per seller × destination, at most (the busiest first), to bound label cardinality. */
const MAX_EXPORTED_ROUTES = 500;

export class NocMetrics {
  readonly registry = new Registry();
  private readonly decisions: Counter<'kind' | 'code'>;
  private readonly decisionSeconds: Histogram<'kind'>;
  private readonly callsEnded: Counter<'outcome'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'minutex_process_' });
    this.decisions = new Counter({ name: 'minutex_route_decisions_total', help: 'Route decisions by kind (route, reject) and SIP code', labelNames: ['kind', 'code'], registers });
    this.decisionSeconds = new Histogram({
      name: 'minutex_route_decision_seconds', help: 'Time from a route request to its decision', labelNames: ['kind'], registers,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    });
    this.callsEnded = new Counter({ name: 'minutex_calls_ended_total', help: 'Calls ended, by outcome (answered, failed, refused)', labelNames: ['outcome'], registers });
    sources.calls.updates.subscribe((update) => {
      if (update.kind !== 'call_over') return;
      const cdr = update.cdr;
      this.callsEnded.inc({ outcome: cdr.answer_us !== null ? 'answered' : cdr.legs.length === 0 ? 'refused' : 'failed' });
    });
    new Gauge({ name: 'minutex_calls_live', help: 'Calls in progress on this node', registers, collect() {
      this.set(sources.calls.liveCalls().length);
    } });
    new Gauge({ name: 'minutex_cdr_outbox', help: 'Ended calls whose CDR waits to be written', registers, collect() {
      this.set(sources.calls.unwrittenCdrs().length);
    } });
    new Gauge({ name: 'minutex_cdr_write_failures', help: 'Failed CDR write attempts since start', registers, collect() {
      this.set(sources.calls.cdrWriteFailures);
    } });
    new Gauge({ name: 'minutex_routing_legs_skipped', help: 'Legs routing skipped since start, by reason', labelNames: ['reason'], registers, collect() {
      for (const [reason, count] of Object.entries(sources.guard.skipped)) this.set({ reason }, count);
    } });
    new Gauge({ name: 'minutex_routing_probe_calls', help: 'Calls routed as quality probes since start', registers, collect() {
      this.set(sources.guard.probes);
    } });
    new Gauge({ name: 'minutex_trunk_up', help: 'Seller trunk answering OPTIONS (1) or not (0)', labelNames: ['trunk_id'], registers, collect() {
      this.reset();
      for (const trunk of sources.health.list()) this.set({ trunk_id: trunk.trunk_id }, trunk.state === 'up' ? 1 : 0);
    } });
    new Gauge({ name: 'minutex_alarms_open', help: 'Alarms raised or acknowledged, not cleared, by rule', labelNames: ['rule'], registers, async collect() {
      this.reset();
      const rows = await sources.db.any<{ rule_id: string; open: number }>("select rule_id, count(*)::int as open from alarms where state <> 'cleared' group by rule_id");
      for (const row of rows) this.set({ rule: row.rule_id }, row.open);
    } });
    new Gauge({ name: 'minutex_alarms_raised', help: 'Alarms this node raised since start, by rule', labelNames: ['rule'], registers, collect() {
      for (const [rule, count] of Object.entries(sources.alarms.raisedCount)) this.set({ rule }, count);
    } });
    new Gauge({ name: 'minutex_alarm_webhooks', help: 'Alarm webhooks since start, by result', labelNames: ['result'], registers, collect() {
      this.set({ result: 'delivered' }, sources.webhook?.delivered ?? 0);
      this.set({ result: 'failed' }, sources.webhook?.failed ?? 0);
    } });
    new Gauge({ name: 'minutex_trades_quality_flagged', help: 'Trades flagged below their committed quality since start', registers, collect() {
      this.set(sources.commitments.flags);
    } });
    const qualityGauge = (name: string, help: string, read: (stats: QualityStats) => number | null) => new Gauge({
      name, help, labelNames: ['scope_kind', 'scope_id', 'destination_id', 'window'], registers,
      collect() {
        this.reset();
        const now = Date.now();
        const routes = [...sources.quality.book.keys(now)]
          .map(({ scope }) => ({ scope, stats: sources.quality.stats(scope) }))
          .sort((a, b) => b.stats[1]!.attempts - a.stats[1]!.attempts)
          .slice(0, MAX_EXPORTED_ROUTES);
        for (const { scope, stats } of routes) {
          stats.forEach((window, index) => {
            const value = read(window);
            if (value !== null) this.set({ scope_kind: scope.kind, scope_id: scope.id, destination_id: scope.destination_id, window: index === 0 ? '5m' : '1h' }, value);
          });
        }
      },
    });
    qualityGauge('minutex_quality_attempts', 'Attempts in the window', (stats) => stats.attempts);
    qualityGauge('minutex_quality_asr', 'Answer-seizure ratio, 0..1', (stats) => stats.asr);
    qualityGauge('minutex_quality_acd_seconds', 'Average call duration, s', (stats) => stats.acd_s);
    qualityGauge('minutex_quality_ner', 'Network effectiveness ratio (E.425), 0..1', (stats) => stats.ner);
    qualityGauge('minutex_quality_pdd_seconds', 'Mean post-dial delay, s', (stats) => (stats.pdd_ms === null ? null : stats.pdd_ms / 1000));
    qualityGauge('minutex_quality_cps', 'Attempts per second over the window', (stats) => stats.cps);
  }

  /** The decider, with every decision counted and timed. */
  measure(decider: RouteDecider): RouteDecider {
    return {
      decide: async (request: RouteRequest): Promise<RouteDecision> => {
        const started = process.hrtime.bigint();
        const decision = await decider.decide(request);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.decisionSeconds.observe({ kind: decision.kind }, seconds);
        this.decisions.inc({ kind: decision.kind, code: decision.kind === 'reject' ? String(decision.code) : '' });
        return decision;
      },
    };
  }

  /**
   * Billing's and credit control's figures: CDRs posted and set aside, the backlog waiting to be
   * rated and posted (a partial index keeps the count cheap), calls credit control follows, calls
   * cut off for lack of credit, and what calls hold of buyers' credit per currency, in micro-units
   * (whole numbers, exact in a double below 2^53).
   */
  watchMoney(db: Db, money: MoneySources): void {
    const registers = [this.registry];
    new Gauge({ name: 'minutex_billing_cdrs_posted', help: 'CDRs rated and posted to the ledger by this node since start', registers, collect() {
      this.set(money.billing.postedTotal);
    } });
    new Gauge({ name: 'minutex_billing_cdrs_quarantined', help: 'CDRs set aside (could not be rated or posted) by this node since start', registers, collect() {
      this.set(money.billing.quarantinedTotal);
    } });
    new Gauge({ name: 'minutex_billing_cdrs_pending', help: 'CDRs waiting to be rated and posted, all nodes', registers, async collect() {
      this.set(Number((await db.one<{ count: string }>("select count(*)::text as count from cdrs where billing_status = 'pending'")).count));
    } });
    new Gauge({ name: 'minutex_credit_calls_followed', help: 'Calls whose credit reservation this node follows', registers, collect() {
      this.set(money.credit.followedCalls);
    } });
    const cutoffs = new Counter({ name: 'minutex_credit_cutoffs_total', help: 'Calls cut off (BYE to both legs) for lack of credit', registers });
    money.credit.cutoffs.subscribe(() => cutoffs.inc());
    new Gauge({ name: 'minutex_credit_held_micros', help: 'Buyers\' credit held by calls (reserved and leased), by currency, micro-units', labelNames: ['currency'], registers, async collect() {
      const rows = await db.any<{ currency: string; held: string }>(
        'select trim(currency) as currency, sum(reserved_micros + leased_micros)::text as held from credit_accounts group by currency');
      this.reset();
      for (const row of rows) this.set({ currency: row.currency }, Number(row.held));
    } });
  }
}
