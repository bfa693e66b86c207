/**
 * The one typed configuration of minutex. Nothing else reads `process.env`.
 *
 * Every setting has a default, a unit in its name or comment, and a one-line reason. `loadConfig`
 * checks everything at start and reports every problem at once, so an operator fixes a bad
 * deployment in one pass instead of one crash per setting.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { LOG_FORMAT_SETTINGS, type LogFormatSetting } from './logger.ts';
import {
  defaultAdvertiseUrl, formatHostPort, nonEmpty, oneOf, optional, parseAgentSecret, parseBoolean, parseFee, parseHostPort, parseHttpUrl, parseIntInRange, parseOperatorToken, tlsFiles, type HostPort,
} from './config-values.ts';

export { formatHostPort, parseHostPort, type HostPort };

export interface Config {
  /** Where Kamailio listens for SIP (UDP), e.g. 127.0.0.1:5060. */
  readonly sipAddr: HostPort;
  /** SIP requests an address that is no carrier's trunk may send in 2 s before the switch stops answering it (pike). */
  readonly sipUnknownRequestsPer2s: number;
  /** The exchange's SIP domain: the host of From and To each side sees (topology hiding). */
  readonly sipDomain: string;
  /** Where the HTTP API and the live web page listen. */
  readonly apiAddr: HostPort;
  /** Requests one client address may make per minute (0: no limit). */
  readonly apiRatePerAddressPerMin: number;
  /** Requests one principal (an API key, an operator) may make per minute (0: no limit). */
  readonly apiRatePerKeyPerMin: number;
  /** Live streams (SSE) one principal may hold open at once. */
  readonly apiMaxStreamsPerPrincipal: number;
  /** HTTPS for the API: PEM certificate and key files (both or neither; off by default). */
  readonly apiTls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** SIP over TLS: the address Kamailio listens on and its PEM certificate and key (off by default). */
  readonly sipTls: { readonly addr: HostPort; readonly certFile: string; readonly keyFile: string } | undefined;
  /** Where the other control-plane nodes reach this node's API (to forward orders to the exchange's leader). */
  readonly apiAdvertiseUrl: string;
  /** How often a node tries to become the exchange's one matching writer, and the leader checks it still is, in ms. */
  readonly exchangeLeaderPollMs: number;
  /** How long a node waits for the exchange's leader to answer a forwarded order command, in ms. */
  readonly exchangeForwardTimeoutMs: number;
  /** The financial services node (payment provider) minutex asks to collect and pay; the sandbox by default. */
  readonly fsnUrl: string;
  /** Where the financial services node delivers its webhooks (minutex's /fsn/webhooks). */
  readonly fsnWebhookUrl: string;
  /**
   * Secret both sides sign webhooks with (HMAC-SHA256). Unset, a random one is made at start: good
   * for the sandbox `npm start` starts (it is handed the same one), useless for any other node.
   */
  readonly fsnWebhookSecret: string;
  /** True when MINUTEX_FSN_WEBHOOK_SECRET was not set and `fsnWebhookSecret` was made at start. */
  readonly fsnWebhookSecretGenerated: boolean;
  /** How often the statement schedule looks for billing periods that are over and not run yet, in ms; 0: only by hand. */
  readonly statementScheduleIntervalMs: number;
  /** The sandbox's stand-in for "a few business days": how long its bank takes to honour or refuse a draw, in ms. */
  readonly fsnDrawDecisionMs: number;
  /** How often the overdue policy is evaluated for every carrier that owes something, in ms (also at once on every payment). */
  readonly overdueEvaluateEveryMs: number;
  /** How often overdue notices waiting for their carrier's webhook are sent (or retried), in ms. */
  readonly noticeDeliveryEveryMs: number;
  /** Media anchored through rtpengine (each side's SDP shows only the exchange); off: media flows between the carriers. */
  readonly mediaAnchoring: boolean;
  /** The address rtpengine relays media on: the only media address either side sees. */
  readonly mediaAddress: string;
  /** Where rtpengine takes Kamailio's commands (ng protocol, UDP); loopback. */
  readonly rtpengineControlAddr: HostPort;
  /** UDP ports rtpengine relays media on, inclusive. */
  readonly rtpPortMin: number;
  readonly rtpPortMax: number;
  /** Seconds without RTP after which rtpengine gives a call's media up. */
  readonly rtpTimeoutS: number;
  /** Path of the rtpengine binary (Debian's rtpengine-daemon). */
  readonly rtpengineBin: string;
  /** The business-credit bureau minutex reads reports from; the sandbox (`npm run bureau-sandbox`) by default. */
  readonly bureauUrl: string;
  /** How long one request to the bureau may take before it is abandoned, in ms. */
  readonly bureauTimeoutMs: number;
  /** How many times a failed or timed-out bureau request is tried again (with backoff) before giving up. */
  readonly bureauRetries: number;
  /** How long a bureau report stays valid in the cache, in s: within it, no request goes to the bureau. */
  readonly bureauCacheValidityS: number;
  /** How old a cached report may be and still be used when the bureau cannot answer, in s (0: never). */
  readonly bureauStaleUseS: number;
  /** Where the bureau sends its monitoring alerts (a company's report changed): minutex's /bureau/webhooks. */
  readonly bureauWebhookUrl: string;
  /** Secret the bureau's alerts are signed with (HMAC-SHA256); unset, a random one made at start (for the sandbox npm start starts). */
  readonly bureauWebhookSecret: string;
  readonly bureauWebhookSecretGenerated: boolean;
  /** What pre-trading approval asks of a buyer: `assessment` (a passing credit assessment and a limit or collateral) or `manual` (a limit or collateral on file). */
  readonly creditApproval: 'assessment' | 'manual';
  /** How often every assessed carrier is reassessed, in s (0: never on a schedule). */
  readonly creditReassessEveryS: number;
  /** How often the control plane looks for events that call for a reassessment (payments, missed due dates, exposure), in ms. */
  readonly creditWatchMs: number;
  /** Where Kamailio's evapi module listens for the switch agent (TCP). */
  readonly evapiAddr: HostPort;
  /** Where Kamailio answers JSON-RPC over HTTP (xhttp + jsonrpcs), for operators and reconciliation. */
  readonly jsonrpcAddr: HostPort;
  /** PostgreSQL connection string; undefined means "start an embedded PostgreSQL". */
  readonly databaseUrl: string | undefined;
  /** Kamailio's own database account (the minutex_switch role: insert into switch_call_records only); undefined: set up at start. */
  readonly switchDatabaseUrl: string | undefined;
  /** TCP port of the embedded PostgreSQL (used only without DATABASE_URL). */
  readonly embeddedPgPort: number;
  /** Bearer token that grants operator access to the API. Undefined: a random one is made at start. */
  readonly operatorToken: string | undefined;
  /** Folder for Kamailio's rendered config, pid file, the embedded database and logs. */
  readonly runDir: string;
  /** True when Kamailio runs elsewhere (another container or host): connect to it, do not start one. */
  readonly externalSwitch: boolean;
  /** Address the control plane connects to evapi from, as Kamailio sees it (accepted besides 127.0.0.1). */
  readonly agentAddress: string;
  /** Secret the agent proves itself with on Kamailio's evapi socket; undefined: a new one each run (required with an external switch). */
  readonly agentSecret: string | undefined;
  /** Folder of Kamailio's modules; undefined: found among Debian's usual places at start. */
  readonly kamailioModulesDir: string | undefined;
  /** Path of the kamailio binary. */
  readonly kamailioBin: string;
  /** Kamailio shared memory in MiB (-m). 128 ran out at 800 calls/s on trials here; 512 held. */
  readonly kamailioShmMb: number;
  /** Kamailio private memory per process in MiB (-M). */
  readonly kamailioPkgMb: number;
  /** Kamailio SIP worker processes (children). */
  readonly kamailioChildren: number;
  /** How long Kamailio waits for a route decision before answering 503 (fail closed), in ms. */
  readonly routeTimeoutMs: number;
  /** How long a seller may take to send any reply to an INVITE before we fail over, in ms. */
  readonly sellerNoReplyTimeoutMs: number;
  /** How long a seller may ring before we fail over, in ms. */
  readonly sellerRingTimeoutMs: number;
  /** Longest call the switch allows when credit control sets no shorter limit, in seconds. */
  readonly maxCallDurationS: number;
  /** Exchange fee the buyer pays on top of the trade price, per minute, in micro-units. */
  readonly exchangeFeePerMinuteMicros: bigint;
  /** Seconds of talk each credit reservation chunk covers (reserved at setup, then extended ahead). */
  readonly creditChunkS: number;
  /** Extra time every reservation pays for so the switch's backstop timer (1 s ticks, fires within 3 s) never overshoots, ms. */
  readonly creditSlackMs: bigint;
  /** This control-plane node's id: leases, reservations and calls carry it, and a node reconciles only its own. */
  readonly nodeId: string;
  /** Seconds of a buyer's calls one credit slice (lease top-up) should serve at its recent call rate. */
  readonly creditLeaseHorizonS: number;
  /** The fewest first chunks a credit slice covers, so a quiet buyer's next calls need no database trip. */
  readonly creditLeaseMinCalls: number;
  /** A credit slice takes at most 1/N of what the buyer's pool has left (unless a waiting call needs more), leaving room for other nodes. */
  readonly creditLeaseShareDivisor: bigint;
  /** A lease its node stops renewing (the node died) expires after this long, ms; its free part returns to the pool. */
  readonly creditLeaseTtlMs: number;
  /** How often a node renews its leases and gives back idle ones, ms. */
  readonly creditLeaseMaintainMs: number;
  /** A lease no call used for this long gives back what its calls do not hold, ms. */
  readonly creditLeaseIdleReturnMs: number;
  /** The longest a route decision waits for PostgreSQL to grant a credit slice before refusing with 503, ms (capped at 60% of the route timeout, so the refusal reaches the switch first). */
  readonly creditWaitMs: number;
  /** How often the control plane reconciles its calls with the switch (dlg.list) and sweeps what nothing holds, ms. */
  readonly reconcileEveryMs: number;
  /** Seconds between the switch's OPTIONS pings to each seller egress trunk; 0: no pings (no trunk is taken out for silence). */
  readonly trunkPingIntervalS: number;
  /** Pings a seller trunk may miss in a row before it is out of routing. */
  readonly trunkDownAfter: number;
  /** Answered pings in a row before a trunk that was down routes again. */
  readonly trunkUpAfter: number;
  /** Measured quality in routing: off, demote (below-floor sellers tried last) or skip (not tried). */
  readonly qualityRouting: 'off' | 'demote' | 'skip';
  /** Attempts a seller needs on a destination, in a window, before its quality is judged against a buyer's floors. */
  readonly qualityMinAttempts: number;
  /** Percent of calls on which below-floor sellers keep their place, so a recovered seller can prove itself. */
  readonly qualityProbePercent: number;
  /** How often measured quality is written to PostgreSQL as per-minute rows, ms. */
  readonly qualityFlushMs: number;
  /** An answered call shorter than this is a short call (fraud signals, short-call ratio), ms. */
  readonly qualityShortCallMs: number;
  /** How long a seller may stay below the quality its sell order committed to before its trade is flagged, ms. */
  readonly qualityFlagAfterMs: number;
  /** True: a flagged trade is also suspended (not routed) until an operator reinstates it. */
  readonly qualitySuspendFlagged: boolean;
  /** How often alarm rules are evaluated, ms. */
  readonly alarmEvaluateMs: number;
  /** Where raised, acknowledged and cleared alarms are POSTed, signed (empty: no webhook). */
  readonly alarmWebhookUrl: string | undefined;
  /** Secret alarm webhooks are signed with (HMAC-SHA256, minutex-signature header); required with a webhook URL. */
  readonly alarmWebhookSecret: string;
  /** High-risk number prefixes (E.164 digits, comma-separated): calls to them raise the watch-list alarm. */
  readonly watchListPrefixes: readonly string[];
  /** pino log level. */
  readonly logLevel: string;
  /** Log lines as JSON, human-readable (pino-pretty), or `auto`: readable on a terminal, JSON otherwise. */
  readonly logFormat: LogFormatSetting;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: string, parse: (raw: string) => T): T => {
    const raw = env[name] ?? fallback;
    try {
      return parse(raw);
    } catch (error) {
      problems.push(`${name}=${JSON.stringify(raw)}: ${(error as Error).message}`);
      return undefined as T;
    }
  };

  const apiAddr = read('MINUTEX_API_ADDR', '127.0.0.1:8080', parseHostPort);
  const config: Config = {
    sipAddr: read('MINUTEX_SIP_ADDR', '127.0.0.1:5060', parseHostPort),
    sipUnknownRequestsPer2s: read('MINUTEX_SIP_UNKNOWN_REQS_PER_2S', '16', (raw) => parseIntInRange(raw, 1, 100000)),
    // By default the SIP address's host: each side sees the exchange's address and nothing else.
    sipDomain: read('MINUTEX_SIP_DOMAIN', (env['MINUTEX_SIP_ADDR'] ?? '127.0.0.1:5060').replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), (raw) => {
      if (!/^[A-Za-z0-9.-]{1,253}$/.test(raw)) throw new Error('expected a host name or IPv4 address');
      return raw;
    }),
    apiAddr,
    apiRatePerAddressPerMin: read('MINUTEX_API_RATE_PER_ADDRESS_PER_MIN', '120000', (raw) => parseIntInRange(raw, 0, 10_000_000)),
    apiRatePerKeyPerMin: read('MINUTEX_API_RATE_PER_KEY_PER_MIN', '12000', (raw) => parseIntInRange(raw, 0, 10_000_000)),
    apiMaxStreamsPerPrincipal: read('MINUTEX_API_MAX_STREAMS_PER_PRINCIPAL', '4', (raw) => parseIntInRange(raw, 1, 1000)),
    apiTls: tlsFiles(env, 'MINUTEX_API_TLS_CERT', 'MINUTEX_API_TLS_KEY', problems),
    sipTls: ((files) => {
      const addr = env['MINUTEX_SIP_TLS_ADDR'];
      if (addr === undefined && files === undefined) return undefined;
      if (addr === undefined || files === undefined) {
        problems.push('MINUTEX_SIP_TLS_ADDR, MINUTEX_SIP_TLS_CERT and MINUTEX_SIP_TLS_KEY go together');
        return undefined;
      }
      const parsed = read('MINUTEX_SIP_TLS_ADDR', addr, parseHostPort);
      return parsed === undefined ? undefined : { addr: parsed, ...files };
    })(tlsFiles(env, 'MINUTEX_SIP_TLS_CERT', 'MINUTEX_SIP_TLS_KEY', problems)),
    // By default the API's own address; a wildcard listen address is reached on loopback.
    apiAdvertiseUrl: read('MINUTEX_API_ADVERTISE_URL', apiAddr === undefined ? 'http://127.0.0.1:8080' : defaultAdvertiseUrl(apiAddr), parseHttpUrl),
    exchangeLeaderPollMs: read('MINUTEX_EXCHANGE_LEADER_POLL_MS', '1000', (raw) => parseIntInRange(raw, 100, 60000)),
    exchangeForwardTimeoutMs: read('MINUTEX_EXCHANGE_FORWARD_TIMEOUT_MS', '10000', (raw) => parseIntInRange(raw, 100, 120000)),
    fsnUrl: read('MINUTEX_FSN_URL', 'http://127.0.0.1:8091', parseHttpUrl),
    // By default the webhooks reach this node's own API.
    fsnWebhookUrl: read('MINUTEX_FSN_WEBHOOK_URL', `${apiAddr === undefined ? 'http://127.0.0.1:8080' : defaultAdvertiseUrl(apiAddr)}/fsn/webhooks`, parseHttpUrl),
    fsnWebhookSecret: read('MINUTEX_FSN_WEBHOOK_SECRET', randomBytes(32).toString('base64url'), nonEmpty),
    fsnWebhookSecretGenerated: env['MINUTEX_FSN_WEBHOOK_SECRET'] === undefined,
    statementScheduleIntervalMs: read('MINUTEX_STATEMENT_SCHEDULE_INTERVAL_S', '3600', (raw) => parseIntInRange(raw, 0, 86400) * 1000),
    fsnDrawDecisionMs: read('MINUTEX_FSN_DRAW_DECISION_MS', '5000', (raw) => parseIntInRange(raw, 0, 86_400_000)),
    overdueEvaluateEveryMs: read('MINUTEX_OVERDUE_EVALUATE_EVERY_MS', '3600000', (raw) => parseIntInRange(raw, 1000, 86_400_000)),
    noticeDeliveryEveryMs: read('MINUTEX_NOTICE_DELIVERY_EVERY_MS', '1000', (raw) => parseIntInRange(raw, 100, 3_600_000)),
    mediaAnchoring: read('MINUTEX_MEDIA_ANCHORING', 'true', parseBoolean),
    mediaAddress: read('MINUTEX_MEDIA_ADDRESS', (env['MINUTEX_SIP_ADDR'] ?? '127.0.0.1:5060').replace(/:\d+$/, ''), (raw) => {
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(raw) || raw === '0.0.0.0') throw new Error('expected the IPv4 address media is relayed on');
      return raw;
    }),
    rtpengineControlAddr: read('MINUTEX_RTPENGINE_CONTROL_ADDR', '127.0.0.1:22222', parseHostPort),
    rtpPortMin: read('MINUTEX_RTP_PORT_MIN', '30000', (raw) => parseIntInRange(raw, 1024, 65535)),
    rtpPortMax: read('MINUTEX_RTP_PORT_MAX', '40000', (raw) => parseIntInRange(raw, 1024, 65535)),
    rtpTimeoutS: read('MINUTEX_RTP_TIMEOUT_S', '60', (raw) => parseIntInRange(raw, 5, 3600)),
    rtpengineBin: read('MINUTEX_RTPENGINE_BIN', '/usr/bin/rtpengine', nonEmpty),
    bureauUrl: read('MINUTEX_BUREAU_URL', 'http://127.0.0.1:8092', parseHttpUrl),
    bureauTimeoutMs: read('MINUTEX_BUREAU_TIMEOUT_MS', '2000', (raw) => parseIntInRange(raw, 50, 60000)),
    bureauRetries: read('MINUTEX_BUREAU_RETRIES', '2', (raw) => parseIntInRange(raw, 0, 10)),
    bureauCacheValidityS: read('MINUTEX_BUREAU_CACHE_VALIDITY_S', '86400', (raw) => parseIntInRange(raw, 0, 31_536_000)),
    bureauStaleUseS: read('MINUTEX_BUREAU_STALE_USE_S', '2592000', (raw) => parseIntInRange(raw, 0, 31_536_000)),
    bureauWebhookUrl: read('MINUTEX_BUREAU_WEBHOOK_URL', `${apiAddr === undefined ? 'http://127.0.0.1:8080' : defaultAdvertiseUrl(apiAddr)}/bureau/webhooks`, parseHttpUrl),
    bureauWebhookSecret: read('MINUTEX_BUREAU_WEBHOOK_SECRET', randomBytes(32).toString('base64url'), nonEmpty),
    bureauWebhookSecretGenerated: env['MINUTEX_BUREAU_WEBHOOK_SECRET'] === undefined,
    creditApproval: read('MINUTEX_CREDIT_APPROVAL', 'assessment', (raw) => oneOf(raw, ['assessment', 'manual'])),
    creditWatchMs: read('MINUTEX_CREDIT_WATCH_MS', '30000', (raw) => parseIntInRange(raw, 100, 3_600_000)),
    creditReassessEveryS: read('MINUTEX_CREDIT_REASSESS_EVERY_S', '86400', (raw) => parseIntInRange(raw, 0, 31_536_000)),
    evapiAddr: read('MINUTEX_EVAPI_ADDR', '127.0.0.1:8448', parseHostPort),
    jsonrpcAddr: read('MINUTEX_JSONRPC_ADDR', '127.0.0.1:5071', parseHostPort),
    databaseUrl: optional(env['DATABASE_URL']),
    switchDatabaseUrl: optional(env['MINUTEX_SWITCH_DATABASE_URL']),
    embeddedPgPort: read('MINUTEX_EMBEDDED_PG_PORT', '54329', (raw) => parseIntInRange(raw, 1, 65535)),
    operatorToken: read('MINUTEX_OPERATOR_TOKEN', '', parseOperatorToken),
    runDir: read('MINUTEX_RUN_DIR', 'run', nonEmpty),
    externalSwitch: read('MINUTEX_EXTERNAL_SWITCH', 'false', parseBoolean),
    agentAddress: read('MINUTEX_AGENT_ADDRESS', '127.0.0.1', (raw) => {
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(raw)) throw new Error('expected an IPv4 address');
      return raw;
    }),
    agentSecret: read('MINUTEX_AGENT_SECRET', '', parseAgentSecret),
    kamailioModulesDir: optional(env['MINUTEX_KAMAILIO_MODULES_DIR']),
    kamailioBin: read('MINUTEX_KAMAILIO_BIN', '/usr/sbin/kamailio', nonEmpty),
    kamailioShmMb: read('MINUTEX_KAMAILIO_SHM_MB', '512', (raw) => parseIntInRange(raw, 64, 65536)),
    kamailioPkgMb: read('MINUTEX_KAMAILIO_PKG_MB', '16', (raw) => parseIntInRange(raw, 4, 1024)),
    kamailioChildren: read('MINUTEX_KAMAILIO_CHILDREN', '8', (raw) => parseIntInRange(raw, 1, 64)),
    routeTimeoutMs: read('MINUTEX_ROUTE_TIMEOUT_MS', '1000', (raw) => parseIntInRange(raw, 100, 10000)),
    sellerNoReplyTimeoutMs: read('MINUTEX_SELLER_NO_REPLY_TIMEOUT_MS', '3000', (raw) => parseIntInRange(raw, 500, 60000)),
    sellerRingTimeoutMs: read('MINUTEX_SELLER_RING_TIMEOUT_MS', '60000', (raw) => parseIntInRange(raw, 1000, 300000)),
    maxCallDurationS: read('MINUTEX_MAX_CALL_DURATION_S', '10800', (raw) => parseIntInRange(raw, 1, 86400)),
    exchangeFeePerMinuteMicros: read('MINUTEX_EXCHANGE_FEE_PER_MINUTE', '0', parseFee),
    creditChunkS: read('MINUTEX_CREDIT_CHUNK_S', '60', (raw) => parseIntInRange(raw, 5, 3600)),
    creditSlackMs: read('MINUTEX_CREDIT_SLACK_MS', '3000', (raw) => BigInt(parseIntInRange(raw, 3000, 60000))),
    nodeId: read('MINUTEX_NODE_ID', '', (raw) => {
      if (raw === '') return `${os.hostname()}:${env['MINUTEX_SIP_ADDR']?.split(':')[1] ?? '5060'}`;
      if (!/^[\w.:-]{1,100}$/.test(raw)) throw new Error('expected 1 to 100 letters, digits, dots, colons, dashes or underscores');
      return raw;
    }),
    creditLeaseHorizonS: read('MINUTEX_CREDIT_LEASE_HORIZON_S', '10', (raw) => parseIntInRange(raw, 1, 600)),
    creditLeaseMinCalls: read('MINUTEX_CREDIT_LEASE_MIN_CALLS', '4', (raw) => parseIntInRange(raw, 1, 10000)),
    creditLeaseShareDivisor: read('MINUTEX_CREDIT_LEASE_SHARE_DIVISOR', '4', (raw) => BigInt(parseIntInRange(raw, 1, 1000))),
    creditLeaseTtlMs: read('MINUTEX_CREDIT_LEASE_TTL_MS', '90000', (raw) => parseIntInRange(raw, 5000, 3600000)),
    creditLeaseMaintainMs: read('MINUTEX_CREDIT_LEASE_MAINTAIN_MS', '5000', (raw) => parseIntInRange(raw, 100, 60000)),
    creditLeaseIdleReturnMs: read('MINUTEX_CREDIT_LEASE_IDLE_RETURN_MS', '30000', (raw) => parseIntInRange(raw, 100, 3600000)),
    creditWaitMs: read('MINUTEX_CREDIT_WAIT_MS', '400', (raw) => parseIntInRange(raw, 10, 10000)),
    reconcileEveryMs: read('MINUTEX_RECONCILE_EVERY_MS', '30000', (raw) => parseIntInRange(raw, 1000, 3600000)),
    trunkPingIntervalS: read('MINUTEX_TRUNK_PING_INTERVAL_S', '10', (raw) => parseIntInRange(raw, 0, 3600)),
    trunkDownAfter: read('MINUTEX_TRUNK_DOWN_AFTER', '3', (raw) => parseIntInRange(raw, 1, 100)),
    trunkUpAfter: read('MINUTEX_TRUNK_UP_AFTER', '2', (raw) => parseIntInRange(raw, 1, 100)),
    qualityRouting: read('MINUTEX_QUALITY_ROUTING', 'skip', (raw) => oneOf(raw, ['off', 'demote', 'skip'])),
    qualityMinAttempts: read('MINUTEX_QUALITY_MIN_ATTEMPTS', '30', (raw) => parseIntInRange(raw, 1, 100000)),
    qualityProbePercent: read('MINUTEX_QUALITY_PROBE_PERCENT', '5', (raw) => parseIntInRange(raw, 0, 100)),
    qualityFlushMs: read('MINUTEX_QUALITY_FLUSH_MS', '60000', (raw) => parseIntInRange(raw, 100, 600000)),
    qualityShortCallMs: read('MINUTEX_QUALITY_SHORT_CALL_MS', '6000', (raw) => parseIntInRange(raw, 0, 600000)),
    qualityFlagAfterMs: read('MINUTEX_QUALITY_FLAG_AFTER_MS', '900000', (raw) => parseIntInRange(raw, 1000, 86400000)),
    qualitySuspendFlagged: read('MINUTEX_QUALITY_SUSPEND_FLAGGED', 'false', parseBoolean),
    alarmEvaluateMs: read('MINUTEX_ALARM_EVALUATE_MS', '5000', (raw) => parseIntInRange(raw, 100, 600000)),
    alarmWebhookUrl: read('MINUTEX_ALARM_WEBHOOK_URL', '', (raw) => (raw === '' ? undefined : parseHttpUrl(raw))),
    // No secret is shipped: without a webhook URL nothing is signed and a random one stands in.
    alarmWebhookSecret: read('MINUTEX_ALARM_WEBHOOK_SECRET', randomBytes(32).toString('base64url'), nonEmpty),
    watchListPrefixes: read('MINUTEX_WATCH_LIST_PREFIXES', '', (raw) => {
      const prefixes = raw.split(',').map((prefix) => prefix.trim()).filter((prefix) => prefix !== '');
      if (prefixes.some((prefix) => !/^\d{1,15}$/.test(prefix))) throw new Error('expected comma-separated digit prefixes');
      return prefixes;
    }),
    logLevel: read('MINUTEX_LOG_LEVEL', 'info', (raw) => oneOf(raw, ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])),
    logFormat: read('MINUTEX_LOG_FORMAT', 'auto', (raw) => oneOf(raw, LOG_FORMAT_SETTINGS)),
  };
  if (config.externalSwitch && config.agentSecret === undefined && !problems.some((problem) => problem.startsWith('MINUTEX_AGENT_SECRET'))) {
    problems.push('MINUTEX_AGENT_SECRET must be set with MINUTEX_EXTERNAL_SWITCH=true (the same one rendered into the switch config)');
  }
  if (config.alarmWebhookUrl !== undefined && env['MINUTEX_ALARM_WEBHOOK_SECRET'] === undefined) {
    problems.push('MINUTEX_ALARM_WEBHOOK_SECRET must be set with MINUTEX_ALARM_WEBHOOK_URL (the receiver checks signatures with it)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
