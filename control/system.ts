/**
 * Starts the whole of minutex in one process tree, in dependency order, and stops it in reverse:
 * PostgreSQL (embedded unless DATABASE_URL), migrations, the exchange, Kamailio, the switch agent,
 * billing's batch processor and the HTTP API with the live page.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../common/config.ts';
import { connect, startEmbeddedPostgres, type Db, type EmbeddedDatabase } from '../common/db/database.ts';
import { migrate } from '../common/db/migrate.ts';
import type { Logger } from '../common/logger.ts';
import { CdrBatchProcessor, DEFAULT_BATCH_OPTIONS } from '../billing/cdr-batch-processor.ts';
import { LedgerStore } from '../billing/ledger-store.ts';
import { SwitchAgent } from '../switch/agent.ts';
import { EvapiClient } from '../switch/evapi/client.ts';
import { kamailioSettings, writeKamailioConfig } from '../switch/kamailio-config.ts';
import { checkKamailioConfig, startKamailio, type KamailioProcess } from '../switch/kamailio-process.ts';
import { buildApi } from './api/server.ts';
import { CallTracker } from './calls/call-tracker.ts';
import { Exchange } from './exchange/exchange.ts';
import { ExchangeRouteDecider } from './route-decider.ts';
import { CreditController, type SwitchCommands } from './credit/credit-controller.ts';
import { CreditStore } from './credit/credit-store.ts';
import { reconcileAfterRestart, type ReconcileReport } from './reconcile.ts';
import { KamailioRpc } from '../switch/jsonrpc-client.ts';
import { CallStore } from './store/calls.ts';
import { MemberStore } from './store/members.ts';
import { RoutingSnapshotCache } from './store/routing-snapshot.ts';
import { PostgresRoutingSource } from './store/routing-source.ts';
import { MarketSignal } from './store/market-signal.ts';

export interface System {
  readonly db: Db;
  readonly api: FastifyInstance;
  readonly apiUrl: string;
  readonly operatorToken: string;
  readonly calls: CallTracker;
  readonly billing: CdrBatchProcessor;
  readonly ledger: LedgerStore;
  readonly exchange: Exchange;
  readonly agent: SwitchAgent;
  readonly credits: CreditStore;
  readonly credit: CreditController;
  /** Resolves when the start-up reconciliation with the switch is done (undefined if it failed). */
  readonly reconciled: Promise<ReconcileReport | undefined>;
  /** Resolves once the agent holds an evapi connection to Kamailio. */
  waitForSwitch(timeoutMs: number): Promise<void>;
  /** Drops the agent's connection to Kamailio (operators and tests of the fail-closed path). */
  disconnectSwitch(): Promise<void>;
  reconnectSwitch(): Promise<void>;
  stop(): Promise<void>;
}

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
    const exchange = new Exchange(db, log.child({ part: 'exchange' }));
    exchange.events.subscribe((event) => snapshots.applyMarketEvent(event));
    await exchange.start();
    stops.push(() => exchange.stop());

    const calls = new CallTracker(new CallStore(db), log.child({ part: 'calls' }));
    const credits = new CreditStore(db, ledger);
    const billing = new CdrBatchProcessor(db, ledger, { ...DEFAULT_BATCH_OPTIONS, exchangeFeePerMinuteMicros: config.exchangeFeePerMinuteMicros }, log.child({ part: 'billing' }), credits);
    calls.addCdrListener(billing);
    billing.start();
    stops.push(() => billing.stop());
    stops.push(() => calls.settled());

    let kamailioRunning = true;
    if (!config.externalSwitch) {
      const kamailioDir = path.resolve(config.runDir, 'kamailio');
      const configFile = writeKamailioConfig(kamailioDir, kamailioSettings(config, databaseUrl));
      checkKamailioConfig({ bin: config.kamailioBin, configFile });
      const kamailio: KamailioProcess = startKamailio(
        { bin: config.kamailioBin, configFile, runDir: path.join(kamailioDir, 'run'), shmMb: config.kamailioShmMb, pkgMb: config.kamailioPkgMb },
        log.child({ part: 'kamailio' }),
      );
      stops.push(() => kamailio.stop());
      void kamailio.exited.then(() => {
        kamailioRunning = false;
      });
    }

    const evapi = new EvapiClient(config.evapiAddr, log.child({ part: 'evapi' }));
    // Credit control needs the agent's commands and the agent needs the decider that uses credit
    // control: the commands reach the agent through this link, set once the agent exists.
    const link: { agent?: SwitchAgent } = {};
    const switchCommands: SwitchCommands = {
      setCallTimeout: (dialog, timeout_s) => link.agent?.setCallTimeout(dialog, timeout_s) ?? false,
      endCall: (call_id, dialog, reason) => link.agent?.endCall(call_id, dialog, reason) ?? false,
    };
    const credit = new CreditController(credits, switchCommands, {
      chunkS: config.creditChunkS, slackMs: config.creditSlackMs, exchangeFeePerMinuteMicros: config.exchangeFeePerMinuteMicros, maxCallDurationS: config.maxCallDurationS,
    }, log.child({ part: 'credit' }));
    stops.push(() => credit.stop());
    const decider = new ExchangeRouteDecider(snapshots, calls, credit, log.child({ part: 'routing' }));
    calls.updates.subscribe((update) => {
      if (update.kind === 'call_updated' && update.call.state === 'answered') {
        const planned = decider.takePlannedEnd(update.call.call_id);
        if (planned !== undefined) credit.answered(update.call, planned);
      } else if (update.kind === 'cdr_written') {
        credit.ended(update.cdr.call_id);
        decider.forget(update.cdr.call_id);
      }
    });
    const agent = new SwitchAgent(evapi, decider, log.child({ part: 'agent' }));
    link.agent = agent;
    agent.addSink(calls);
    const startedAt = new Date();
    evapi.start();
    stops.push(() => evapi.stop());
    // Once connected to the switch, pick up whatever a previous run of the control plane left.
    const rpc = new KamailioRpc(config.jsonrpcAddr);
    const reconciled = waitFor(() => evapi.connected, 30_000, 'the switch')
      .then(() => reconcileAfterRestart({ db, rpc, calls, credit, credits, slackMs: config.creditSlackMs, log: log.child({ part: 'reconcile' }), startedAt }))
      .catch((error: unknown) => {
        log.error({ err: error }, 'reconciliation after start failed');
        return undefined;
      });
    stops.push(async () => void (await reconciled));

    const operatorToken = config.operatorToken ?? randomBytes(24).toString('base64url');
    const api = await buildApi({
      db, log: log.child({ part: 'api' }), operatorToken, members, ledger, calls, exchange, snapshots, credits,
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
        switch: kamailioRunning,
        agent: evapi.connected,
      }),
    });
    await api.listen({ host: config.apiAddr.host, port: config.apiAddr.port });
    stops.push(() => api.close());

    return {
      db, api, apiUrl: `http://${config.apiAddr.host}:${config.apiAddr.port}`, operatorToken, calls, billing, ledger, exchange, agent, credits, credit, reconciled,
      waitForSwitch: (timeoutMs) => waitFor(() => evapi.connected && kamailioRunning, timeoutMs, 'the switch agent to connect to Kamailio'),
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
