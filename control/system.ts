/**
 * Starts the whole of minutex in one process tree, in dependency order, and stops it in reverse:
 * PostgreSQL (embedded unless DATABASE_URL), migrations, the exchange, Kamailio, the switch agent,
 * billing's batch processor and the HTTP API with the live page.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { formatHostPort, type Config } from '../common/config.ts';
import { connect, startEmbeddedPostgres, type Db, type EmbeddedDatabase } from '../common/db/database.ts';
import { migrate } from '../common/db/migrate.ts';
import type { Logger } from '../common/logger.ts';
import { CdrBatchProcessor, DEFAULT_BATCH_OPTIONS } from '../billing/cdr-batch-processor.ts';
import { LedgerStore } from '../billing/ledger-store.ts';
import { StatementScheduler } from '../billing/settlement/statement-scheduler.ts';
import { NoticeDelivery } from '../billing/overdue/notice-delivery.ts';
import { OverdueService } from '../billing/overdue/overdue-service.ts';
import { SwitchAgent } from '../switch/agent.ts';
import { EvapiClient } from '../switch/evapi/client.ts';
import { kamailioSettings, mediaTimeoutToken, newAgentSecret, writeKamailioConfig } from '../switch/kamailio-config.ts';
import { switchDatabaseUrl } from './store/switch-db-role.ts';
import { superviseRtpengine } from '../switch/rtpengine-process.ts';
import { checkKamailioConfig, superviseKamailio, type KamailioSupervisor } from '../switch/kamailio-process.ts';
import { buildApi } from './api/server.ts';
import { CallTracker } from './calls/call-tracker.ts';
import type { ExchangeGateway } from './exchange/gateway.ts';
import { startExchangeNode } from './exchange/node.ts';
import { ExchangeRouteDecider } from './route-decider.ts';
import { CreditController, type SwitchCommands } from './credit/credit-controller.ts';
import { CreditStore } from './credit/credit-store.ts';
import { CapacityLeases, type CapacityKind } from './calls/capacity-leases.ts';
import { CapacityLeaseStore } from './calls/capacity-lease-store.ts';
import { CreditLeases } from './credit/credit-leases.ts';
import { LeaseStore } from './credit/lease-store.ts';
import { DEFAULT_JOURNAL_SETTINGS, ReservationJournal } from './credit/reservation-journal.ts';
import { recoverWriteAhead, WriteAheadFile } from './credit/write-ahead.ts';
import { reconcileAfterRestart, sweep, type ReconcileReport } from './reconcile.ts';
import { SelfHealing } from './self-healing.ts';
import { KamailioRpc } from '../switch/jsonrpc-client.ts';
import { registerEdgeMetrics, trunkSourceReloader } from '../switch/trunk-sources.ts';
import { CallStore } from './store/calls.ts';
import { MemberStore } from './store/members.ts';
import { RoutingSnapshotCache } from './store/routing-snapshot.ts';
import { PostgresRoutingSource } from './store/routing-source.ts';
import { MarketSignal } from './store/market-signal.ts';
import { startNoc, type Noc } from './noc/noc.ts';
import { Assessor } from './assessment/assessor.ts';
import { BureauClient } from './assessment/bureau-client.ts';
import { BureauReports } from './assessment/bureau-reports.ts';
import { CreditWatch } from './assessment/credit-watch.ts';
import { PremiumBook } from './assessment/premium-book.ts';
import { ScorecardStore } from './assessment/scorecard-store.ts';

export interface System {
  readonly db: Db;
  readonly api: FastifyInstance;
  readonly apiUrl: string;
  readonly operatorToken: string;
  readonly calls: CallTracker;
  readonly billing: CdrBatchProcessor;
  readonly ledger: LedgerStore;
  /** Order commands: run here while this node leads the exchange, forwarded to the leader otherwise. */
  readonly exchange: ExchangeGateway;
  readonly agent: SwitchAgent;
  /** The Kamailio this process supervises (undefined with an external switch). */
  readonly switchProcess: KamailioSupervisor | undefined;
  /** Kamailio's JSON-RPC, with this run's secret. */
  readonly switchRpc: KamailioRpc;
  readonly credits: CreditStore;
  readonly credit: CreditController;
  /** The overdue policy: its evaluations, its clock (tests inject their own) and the buyers it blocks. */
  readonly overdue: OverdueService;
  /** Quality, trunk health, routing controls, alarms and metrics. */
  readonly noc: Noc;
  /** Credit assessments, and the watch that reassesses carriers on events and on a schedule. */
  readonly assessor: Assessor;
  readonly creditWatch: CreditWatch;
  /** Resolves when the start-up reconciliation with the switch is done (undefined if it failed). */
  readonly reconciled: Promise<ReconcileReport | undefined>;
  /** Runs the reconciliation and sweep now (it also runs periodically and after every reconnection). */
  heal(): Promise<void>;
  /** Calls `listener` each time Kamailio accepts the agent (first connection and every reconnection). */
  onSwitchConnected(listener: () => void): () => void;
  /** Resolves once the agent holds an evapi connection to Kamailio. */
  waitForSwitch(timeoutMs: number): Promise<void>;
  /** Drops the agent's connection to Kamailio (operators and tests of the fail-closed path). */
  disconnectSwitch(): Promise<void>;
  reconnectSwitch(): Promise<void>;
  stop(): Promise<void>;
}

/** The fewest channel or call-rate slots a node takes of a resource at once. */
const CAPACITY_MIN_SLOTS = 4;

export async function startSystem(config: Config, log: Logger): Promise<System> {
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log.error({ err: error }, 'error while stopping');
      }
    }
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      log.info({ port: config.embeddedPgPort }, 'no DATABASE_URL: starting the embedded PostgreSQL');
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres(path.join(config.runDir, 'pgdata'), config.embeddedPgPort, log);
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const db = connect(databaseUrl, 20);
    stops.push(() => db.$pool.end());
    const applied = await migrate(db);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

    const ledger = new LedgerStore(db);
    const members = new MemberStore(db);
    const snapshots = new RoutingSnapshotCache(new PostgresRoutingSource(db), log.child({ part: 'routing-data' }));
    const market = new MarketSignal(db, (change) => snapshots.changedElsewhere(change), log.child({ part: 'market' }));
    snapshots.setBroadcast((change) => market.broadcast(change));
    await market.start();
    stops.push(() => market.stop());
    stops.push(() => snapshots.stop());
    await snapshots.ready;
    // One node of those on this database leads the exchange; the others forward orders to it. The
    // leader's trades change its routing data at once, and reach the other nodes by NOTIFY.
    const exchangeNode = await startExchangeNode(db, log.child({ part: 'exchange' }), {
      node_id: config.nodeId, api_url: config.apiAdvertiseUrl, leader_poll_ms: config.exchangeLeaderPollMs, forward_timeout_ms: config.exchangeForwardTimeoutMs,
      credit_approval: config.creditApproval,
    }, { onMarketChanged: () => undefined });
    stops.push(() => exchangeNode.stop());
    const exchange = exchangeNode.gateway;
    exchange.events.subscribe((event) => snapshots.applyMarketEvent(event));

    const callStore = new CallStore(db);
    const calls = new CallTracker(callStore, log.child({ part: 'calls' }));
    const credits = new CreditStore(db, ledger);
    const billing = new CdrBatchProcessor(db, ledger, DEFAULT_BATCH_OPTIONS, log.child({ part: 'billing' }), credits);
    calls.addCdrListener(billing);
    billing.start();
    stops.push(() => billing.stop());
    const statementSchedule = new StatementScheduler(db, ledger, config.statementScheduleIntervalMs, log.child({ part: 'statement-schedule' }));
    statementSchedule.start();
    stops.push(() => statementSchedule.stop());
    // Rows lingering to share a statement are written before the pool closes.
    stops.push(() => callStore.flush());
    stops.push(() => calls.stop());
    stops.push(() => calls.settled());

    const agentSecret = config.agentSecret ?? newAgentSecret();
    let switchProcess: KamailioSupervisor | undefined;
    if (!config.externalSwitch && config.mediaAnchoring) {
      // The media relay first: Kamailio offers it every call's SDP from its first INVITE on.
      const rtpengine = superviseRtpengine({
        bin: config.rtpengineBin, mediaAddress: config.mediaAddress, controlAddr: config.rtpengineControlAddr,
        portMin: config.rtpPortMin, portMax: config.rtpPortMax, rtpTimeoutS: config.rtpTimeoutS,
        // A call whose media stopped is reported to Kamailio (minutex-media.cfg), which tells the agent.
        timeoutCallbackUrl: `http://${formatHostPort(config.jsonrpcAddr)}/RPC/media-timeout/${mediaTimeoutToken(agentSecret)}`,
        runDir: path.resolve(config.runDir, 'rtpengine'),
      }, log.child({ part: 'rtpengine' }));
      stops.push(() => rtpengine.stop());
    }
    // Kamailio writes its call records with an account that can do nothing else (set up here for an
    // external switch too: its config was rendered with the same derived password).
    const switchDbUrl = config.switchDatabaseUrl ?? await switchDatabaseUrl(db, databaseUrl, agentSecret, log);
    if (!config.externalSwitch) {
      const kamailioDir = path.resolve(config.runDir, 'kamailio');
      const configFile = writeKamailioConfig(kamailioDir, kamailioSettings(config, switchDbUrl, agentSecret));
      checkKamailioConfig({ bin: config.kamailioBin, configFile });
      const kamailio = superviseKamailio(
        { bin: config.kamailioBin, configFile, runDir: path.join(kamailioDir, 'run'), shmMb: config.kamailioShmMb, pkgMb: config.kamailioPkgMb },
        log.child({ part: 'kamailio' }),
      );
      switchProcess = kamailio;
      stops.push(() => kamailio.stop());
    }
    const kamailioRunning = () => switchProcess?.running ?? true;

    const evapi = new EvapiClient(config.evapiAddr, agentSecret, log.child({ part: 'evapi' }));
    // Credit control needs the agent's commands and the agent needs the decider that uses credit
    // control: the commands reach the agent through this link, set once the agent exists.
    const link: { agent?: SwitchAgent } = {};
    const switchCommands: SwitchCommands = {
      setCallTimeout: (dialog, timeout_s) => link.agent?.setCallTimeout(dialog, timeout_s) ?? false,
      endCall: (call_id, dialog, reason) => link.agent?.endCall(call_id, dialog, reason) ?? false,
    };
    // Credit leases: this node's own leases from a previous run are closed first (what their open
    // reservations hold stays until those calls are reconciled and billed); then new slices.
    const leaseStore = new LeaseStore(db);
    await leaseStore.registerNode(config.nodeId);
    const leases = new CreditLeases(leaseStore, {
      node_id: config.nodeId, horizon_s: config.creditLeaseHorizonS, min_calls: config.creditLeaseMinCalls, pool_share_divisor: config.creditLeaseShareDivisor,
      ttl_ms: config.creditLeaseTtlMs, maintain_every_ms: config.creditLeaseMaintainMs, idle_return_ms: config.creditLeaseIdleReturnMs,
    }, log.child({ part: 'leases' }));
    leases.start();
    stops.push(() => leases.stop());
    // A carrier's limit, collateral or standing changed (here or on another node): credit this node
    // set aside under the old terms goes back, so the new terms apply from the next call.
    snapshots.onCarriersChanged((ids) => leases.recall(ids));
    // Decisions of a previous run that had not reached PostgreSQL when it stopped are written now,
    // before its leases are closed (so what they hold stays held until reconciliation settles them).
    const writeAheadPath = path.resolve(config.runDir, 'write-ahead', `${config.nodeId.replace(/[^\w.-]/g, '_')}.jsonl`);
    await recoverWriteAhead(db, writeAheadPath, log.child({ part: 'write-ahead' }));
    const writeAhead = new WriteAheadFile(writeAheadPath);
    const journal = new ReservationJournal(db, log.child({ part: 'journal' }), DEFAULT_JOURNAL_SETTINGS, writeAhead);
    stops.push(() => writeAhead.close());
    await leaseStore.expire({ node_id: config.nodeId });
    calls.setBeforeCdrWrite((call_id) => journal.landed(call_id));
    stops.push(() => journal.stop());
    const credit = new CreditController(credits, leases, journal, switchCommands, {
      chunkS: config.creditChunkS, slackMs: config.creditSlackMs, exchangeFeePerMinuteMicros: config.exchangeFeePerMinuteMicros, maxCallDurationS: config.maxCallDurationS,
      nodeId: config.nodeId, waitForCreditMs: Math.min(config.creditWaitMs, Math.floor(config.routeTimeoutMs * 0.6)),
    }, log.child({ part: 'credit' }));
    stops.push(() => credit.stop());
    // Channel and call-rate slots shared with other nodes; what an earlier run held is given back first.
    const capacity = new CapacityLeases(new CapacityLeaseStore(db), {
      node_id: config.nodeId, ttl_ms: config.creditLeaseTtlMs, min_slots: CAPACITY_MIN_SLOTS, idle_return_ms: config.creditLeaseIdleReturnMs,
    }, log.child({ part: 'capacity' }));
    await capacity.releaseAll();
    const capacityTimer = setInterval(() => {
      const counts = calls.channelCounts();
      const inUse = (kind: CapacityKind, id: string) =>
        (kind === 'ingress' ? counts.byIngressTrunk : kind === 'egress' ? counts.byEgressTrunk : kind === 'trade' ? counts.byTrade : new Map<string, number>()).get(id) ?? 0;
      capacity.maintain(inUse).catch((error: unknown) => log.warn({ err: error }, 'renewing capacity slots failed'));
    }, config.creditLeaseMaintainMs);
    stops.push(async () => {
      clearInterval(capacityTimer);
      await capacity.releaseAll();
    });
    // The overdue policy: the buyers it blocks are loaded before the first call is routed.
    const overdue = new OverdueService(db, ledger, config.fsnUrl, log.child({ part: 'overdue' }));
    await overdue.start(config.overdueEvaluateEveryMs);
    stops.push(() => overdue.stop());
    const notices = new NoticeDelivery(db, log.child({ part: 'notices' }));
    notices.start(config.noticeDeliveryEveryMs);
    stops.push(() => notices.stop());
    const decider = new ExchangeRouteDecider(snapshots, calls, credit, capacity, Math.min(config.creditWaitMs, Math.floor(config.routeTimeoutMs * 0.6)),
      config.exchangeFeePerMinuteMicros, log.child({ part: 'routing' }), Date.now, overdue.blocks);
    // Quality, trunk health, routing controls and alarms: routing reads them from memory.
    const noc = await startNoc({ config, db, calls, snapshots, exchange, rpc: new KamailioRpc(config.jsonrpcAddr, agentSecret), log: log.child({ part: 'noc' }) });
    noc.metrics.watchMoney(db, { billing, credit });
    stops.push(() => noc.stop());
    decider.useGuard(noc.guard);
    calls.updates.subscribe((update) => {
      if (update.kind === 'call_updated' && update.call.state === 'answered') {
        // Credit control keeps each call's reserved terms from setup: it follows the call from here.
        credit.answered(update.call);
      } else if (update.kind === 'call_over') {
        // At once, not when the CDR is written: a dead call's reservation must not be extended.
        credit.ended(update.call_id, update.cdr);
      }
    });
    const agent = new SwitchAgent(evapi, noc.metrics.measure(decider), log.child({ part: 'agent' }));
    link.agent = agent;
    agent.addSink(calls);
    // A call whose media stopped (rtpengine's timeout) is ended like a cutoff, both legs.
    agent.addSink({
      onCallEvent(event) {
        if (event.kind !== 'media_timeout') return;
        const call = calls.liveCall(event.call_id);
        if (call?.state !== 'answered' || call.dialog === null) return;
        switchCommands.endCall(event.call_id, call.dialog, 'media timeout');
      },
    });
    const startedAt = new Date();
    evapi.start();
    stops.push(() => evapi.stop());
    // Once connected to the switch, pick up whatever a previous run of the control plane left;
    // again after every reconnection (a restarted Kamailio lost its dialogs), and periodically,
    // with a sweep that ends calls the switch no longer has and expires dead nodes' leases.
    const rpc = new KamailioRpc(config.jsonrpcAddr, agentSecret);
    // The switch refuses strangers itself (minutex-edge.cfg): it reloads the trunk addresses it
    // knows each time trunks change here, and its counters of what it refused are metrics.
    // Before the switch is up (the first load at start) there is nothing to tell: it loads the
    // list itself when it starts, and again when the agent (re)connects.
    const reloadTrunkSources = trunkSourceReloader(rpc, log.child({ part: 'edge' }));
    snapshots.onTrunksChanged(() => (evapi.connected ? reloadTrunkSources() : Promise.resolve()));
    evapi.onConnected(() => void reloadTrunkSources());
    registerEdgeMetrics(rpc);
    const reconcileDeps = { db, rpc, calls, credit, credits, slackMs: config.creditSlackMs, log: log.child({ part: 'reconcile' }), nodeId: config.nodeId };
    const reconciled = waitFor(() => evapi.connected, 30_000, 'the switch')
      .then(() => reconcileAfterRestart({ ...reconcileDeps, startedAt }))
      .catch((error: unknown) => {
        log.error({ err: error }, 'reconciliation after start failed');
        return undefined;
      });
    stops.push(async () => void (await reconciled));
    const selfHealing = new SelfHealing(async () => {
      await reconciled;
      if (!evapi.connected) return;
      await reconcileAfterRestart({ ...reconcileDeps, startedAt: new Date(Date.now() - config.reconcileEveryMs) });
      await sweep({ ...reconcileDeps, leases: leaseStore });
    }, config.reconcileEveryMs, log.child({ part: 'self-healing' }));
    selfHealing.start();
    stops.push(() => selfHealing.stop());
    // Every (re)connection to the switch runs a pass at once: a restarted Kamailio lost its dialogs.
    evapi.onConnected(() => void selfHealing.runNow());

    // Credit assessments: the scorecard files are loaded (new versions audited), the bureau is
    // read through its cache, and the watch reassesses carriers when their situation changes.
    const scorecards = new ScorecardStore(db);
    await scorecards.load(`system:${config.nodeId}`);
    const bureauReports = new BureauReports(db, new BureauClient({ url: config.bureauUrl, timeout_ms: config.bureauTimeoutMs, retries: config.bureauRetries }), {
      validity_s: config.bureauCacheValidityS, stale_use_s: config.bureauStaleUseS,
    });
    // Buyers' risk premiums, priced into each call by credit control from memory.
    const premiums = new PremiumBook(db, log.child({ part: 'premiums' }));
    await premiums.refresh();
    premiums.start(config.creditWatchMs);
    stops.push(() => premiums.stop());
    // Under assessment-based approval a refused buyer's calls are refused at setup (403 "credit refused").
    credit.setPremiums((buyer_id) => premiums.of(buyer_id), config.creditApproval === 'assessment' ? (buyer_id) => premiums.refused(buyer_id) : undefined);
    // Another node's assessment reaches this one's premiums and refusals at once, not at the next period.
    snapshots.onCarriersChanged((ids) => premiums.refreshCarriers(ids));
    // After an assessment, every node learns of it (premiums, refusals, and the limit its leases were taken under).
    const assessor = new Assessor(db, scorecards, bureauReports, log.child({ part: 'credit-assessment' }), (carrier_id) => snapshots.changed({ kind: 'carriers', ids: [carrier_id] }));
    const creditWatch = new CreditWatch(db, assessor, { every_ms: config.creditWatchMs, reassess_every_s: config.creditReassessEveryS }, log.child({ part: 'credit-watch' }));
    creditWatch.start();
    stops.push(() => creditWatch.stop());

    const operatorToken = config.operatorToken ?? randomBytes(24).toString('base64url');
    const api = await buildApi({
      db, log: log.child({ part: 'api' }), operatorToken, members, ledger, calls, exchange, snapshots, credits, overdue, noc, assessor,
      fsn: { url: config.fsnUrl, webhookSecret: config.fsnWebhookSecret },
      bureau: { webhookSecret: config.bureauWebhookSecret },
      ...(config.apiTls === undefined ? {} : { tls: { cert: readFileSync(config.apiTls.certFile), key: readFileSync(config.apiTls.keyFile) } }),
      limits: {
        rate: { perAddressPerMin: config.apiRatePerAddressPerMin, perKeyPerMin: config.apiRatePerKeyPerMin },
        maxStreamsPerPrincipal: config.apiMaxStreamsPerPrincipal,
      },
      switchControl: {
        endCall(call_id, reason) {
          const call = calls.liveCall(call_id);
          if (call?.state !== 'answered' || call.dialog === null) return false;
          call.end_reason = `ended by operator`;
          return switchCommands.endCall(call_id, call.dialog, reason);
        },
      },
      health: async () => ({
        database: await db.one('select 1 as up').then(() => true, () => false),
        switch: kamailioRunning(),
        agent: evapi.connected,
      }),
    });
    await api.listen({ host: config.apiAddr.host, port: config.apiAddr.port });
    stops.push(() => api.close());
    // Stopping, the exchange lets go of the lead first (and only once: stop() is idempotent), while
    // the API still tells the other nodes it no longer leads, so they elect a new leader at once.
    stops.push(() => exchangeNode.stop());

    return {
      db, api, apiUrl: `${config.apiTls === undefined ? 'http' : 'https'}://${config.apiAddr.host}:${config.apiAddr.port}`, operatorToken, calls, billing, ledger, exchange, agent, switchProcess, switchRpc: rpc, credits, credit, overdue, noc, assessor, creditWatch, reconciled,
      heal: () => selfHealing.runNow(),
      onSwitchConnected: (listener) => evapi.onConnected(listener),
      waitForSwitch: (timeoutMs) => waitFor(() => evapi.connected && kamailioRunning(), timeoutMs, 'the switch agent to connect to Kamailio'),
      disconnectSwitch: () => evapi.stop(),
      async reconnectSwitch() {
        evapi.start();
        await waitFor(() => evapi.connected, 10_000, 'the switch agent to reconnect');
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
