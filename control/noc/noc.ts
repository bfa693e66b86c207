/**
 * The NOC's parts on one node, started together: quality measured from the calls, trunk health
 * from the switch, routing controls and trades' quality terms in memory, the route guard routing
 * reads them through, alarm rules evaluated on a timer, commitments watched, and the metrics.
 */
import path from 'node:path';
import type { Config } from '../../common/config.ts';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import type { KamailioRpc } from '../../switch/jsonrpc-client.ts';
import { TRUNK_LIST_FILE } from '../../switch/kamailio-config.ts';
import type { CallTracker } from '../calls/call-tracker.ts';
import type { ExchangeGateway } from '../exchange/gateway.ts';
import type { RoutingSnapshotCache } from '../store/routing-snapshot.ts';
import { QualityMinuteStore } from '../store/quality-minutes.ts';
import { AlarmEngine } from './alarm-engine.ts';
import { AlarmWebhook } from './alarm-webhook.ts';
import { NocMetrics } from './metrics.ts';
import { QualityCommitments } from './quality-commitments.ts';
import { QualityMonitor } from './quality-monitor.ts';
import { NocRouteGuard } from './route-guard.ts';
import { RoutingControls } from './routing-controls.ts';
import { TradeTermsCache } from './trade-terms.ts';
import { TrunkHealth } from './trunk-health.ts';

/** How often other nodes' routing controls and trades' quality terms are read again, ms. */
const RELOAD_MS = 5000;
/** How often the switch's trunk states are read, ms. */
const TRUNK_POLL_MS = 1000;

export interface Noc {
  readonly quality: QualityMonitor;
  readonly qualityMinutes: QualityMinuteStore;
  readonly health: TrunkHealth;
  readonly controls: RoutingControls;
  readonly terms: TradeTermsCache;
  readonly guard: NocRouteGuard;
  readonly alarms: AlarmEngine;
  readonly commitments: QualityCommitments;
  readonly metrics: NocMetrics;
  stop(): Promise<void>;
}

export interface NocDependencies {
  readonly config: Config;
  readonly db: Db;
  readonly calls: CallTracker;
  readonly snapshots: RoutingSnapshotCache;
  readonly exchange: ExchangeGateway;
  readonly rpc: KamailioRpc;
  readonly log: Logger;
}

export async function startNoc({ config, db, calls, snapshots, exchange, rpc, log }: NocDependencies): Promise<Noc> {
  const prefixes = config.watchListPrefixes;
  const qualityMinutes = new QualityMinuteStore(db, config.nodeId);
  const quality = new QualityMonitor(calls, qualityMinutes, {
    short_call_ms: config.qualityShortCallMs,
    watchListed: (number) => prefixes.some((prefix) => number.startsWith(prefix)),
  }, log.child({ part: 'quality' }), config.qualityFlushMs);
  // With a switch on another host, its trunk list is not this node's to write.
  const listFile = config.externalSwitch ? undefined : path.resolve(config.runDir, 'kamailio', TRUNK_LIST_FILE);
  const health = new TrunkHealth(rpc, () => snapshots.current(), listFile, TRUNK_POLL_MS, log.child({ part: 'trunk-health' }));
  const controls = new RoutingControls(db, log.child({ part: 'routing-controls' }));
  await controls.reload();
  controls.start(RELOAD_MS);
  const terms = new TradeTermsCache(db, log.child({ part: 'trade-terms' }));
  await terms.reload();
  terms.start(RELOAD_MS);
  const subscription = exchange.events.subscribe((event) => {
    if (event.kind !== 'order_changed') terms.changed();
  });
  const guard = new NocRouteGuard(quality, terms, controls, health, {
    mode: config.qualityRouting, min_attempts: config.qualityMinAttempts, probe_share: config.qualityProbePercent / 100,
  });
  const webhook = config.alarmWebhookUrl === undefined ? undefined : new AlarmWebhook(config.alarmWebhookUrl, config.alarmWebhookSecret, log.child({ part: 'alarm-webhook' }));
  const isIngressTrunk = (trunk_id: string) => {
    for (const trunks of snapshots.current().ingressByHost.values()) if (trunks.some((trunk) => trunk.id === trunk_id)) return true;
    return false;
  };
  const alarms = new AlarmEngine(db, quality, health, controls, webhook, config.nodeId, log.child({ part: 'alarms' }), isIngressTrunk);
  const commitments = new QualityCommitments(db, quality, terms, controls, {
    flag_after_ms: config.qualityFlagAfterMs, min_attempts: config.qualityMinAttempts, suspend: config.qualitySuspendFlagged,
  }, log.child({ part: 'commitments' }));
  health.start();
  alarms.start(config.alarmEvaluateMs);
  // A trunk going down or up is evaluated at once, not at the next tick.
  health.changes.subscribe(() => void alarms.evaluate());
  const commitmentTimer = setInterval(() => {
    commitments.check().catch((error: unknown) => log.warn({ err: error }, 'checking quality commitments failed'));
  }, config.alarmEvaluateMs);
  const metrics = new NocMetrics({ db, calls, quality, health, alarms, guard, commitments, webhook });
  return {
    quality, qualityMinutes, health, controls, terms, guard, alarms, commitments, metrics,
    async stop() {
      clearInterval(commitmentTimer);
      subscription.unsubscribe();
      alarms.stop();
      health.stop();
      controls.stop();
      terms.stop();
      await quality.stop();
    },
  };
}
