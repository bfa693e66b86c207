/**
 * The one typed configuration of minutex. Nothing else reads `process.env`.
 *
 * Every setting has a default, a unit in its name or comment, and a one-line reason. `loadConfig`
 * checks everything at start and reports every problem at once, so an operator fixes a bad
 * deployment in one pass instead of one crash per setting.
 */
import os from 'node:os';
import { parseDecimalToMicros } from './money.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Config {
  /** Where Kamailio listens for SIP (UDP), e.g. 127.0.0.1:5060. */
  readonly sipAddr: HostPort;
  /** Where the HTTP API and the live web page listen. */
  readonly apiAddr: HostPort;
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
  /** Secret both sides sign webhooks with (HMAC-SHA256); the default is for the sandbox only. */
  readonly fsnWebhookSecret: string;
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
  /** pino log level. */
  readonly logLevel: string;
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
    apiAddr,
    // By default the API's own address; a wildcard listen address is reached on loopback.
    apiAdvertiseUrl: read('MINUTEX_API_ADVERTISE_URL', apiAddr === undefined ? 'http://127.0.0.1:8080' : defaultAdvertiseUrl(apiAddr), parseHttpUrl),
    exchangeLeaderPollMs: read('MINUTEX_EXCHANGE_LEADER_POLL_MS', '1000', (raw) => parseIntInRange(raw, 100, 60000)),
    exchangeForwardTimeoutMs: read('MINUTEX_EXCHANGE_FORWARD_TIMEOUT_MS', '10000', (raw) => parseIntInRange(raw, 100, 120000)),
    fsnUrl: read('MINUTEX_FSN_URL', 'http://127.0.0.1:8091', parseHttpUrl),
    // By default the webhooks reach this node's own API.
    fsnWebhookUrl: read('MINUTEX_FSN_WEBHOOK_URL', `${apiAddr === undefined ? 'http://127.0.0.1:8080' : defaultAdvertiseUrl(apiAddr)}/fsn/webhooks`, parseHttpUrl),
    fsnWebhookSecret: read('MINUTEX_FSN_WEBHOOK_SECRET', 'minutex-sandbox-webhook-secret', nonEmpty),
    bureauUrl: read('MINUTEX_BUREAU_URL', 'http://127.0.0.1:8092', parseHttpUrl),
    bureauTimeoutMs: read('MINUTEX_BUREAU_TIMEOUT_MS', '2000', (raw) => parseIntInRange(raw, 50, 60000)),
    bureauRetries: read('MINUTEX_BUREAU_RETRIES', '2', (raw) => parseIntInRange(raw, 0, 10)),
    bureauCacheValidityS: read('MINUTEX_BUREAU_CACHE_VALIDITY_S', '86400', (raw) => parseIntInRange(raw, 0, 31_536_000)),
    bureauStaleUseS: read('MINUTEX_BUREAU_STALE_USE_S', '2592000', (raw) => parseIntInRange(raw, 0, 31_536_000)),
    creditApproval: read('MINUTEX_CREDIT_APPROVAL', 'assessment', (raw) => oneOf(raw, ['assessment', 'manual']) as 'assessment' | 'manual'),
    creditWatchMs: read('MINUTEX_CREDIT_WATCH_MS', '30000', (raw) => parseIntInRange(raw, 100, 3_600_000)),
    creditReassessEveryS: read('MINUTEX_CREDIT_REASSESS_EVERY_S', '86400', (raw) => parseIntInRange(raw, 0, 31_536_000)),
    evapiAddr: read('MINUTEX_EVAPI_ADDR', '127.0.0.1:8448', parseHostPort),
    jsonrpcAddr: read('MINUTEX_JSONRPC_ADDR', '127.0.0.1:5071', parseHostPort),
    databaseUrl: optional(env['DATABASE_URL']),
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
    logLevel: read('MINUTEX_LOG_LEVEL', 'info', (raw) => oneOf(raw, ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])),
  };
  if (config.externalSwitch && config.agentSecret === undefined && !problems.some((problem) => problem.startsWith('MINUTEX_AGENT_SECRET'))) {
    problems.push('MINUTEX_AGENT_SECRET must be set with MINUTEX_EXTERNAL_SWITCH=true (the same one rendered into the switch config)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export function parseHostPort(raw: string): HostPort {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(raw);
  if (!match) throw new Error('expected HOST:PORT');
  return { host: match[1]!, port: parseIntInRange(match[2]!, 1, 65535) };
}

function defaultAdvertiseUrl(addr: HostPort): string {
  const host = addr.host === '0.0.0.0' || addr.host === '::' ? '127.0.0.1' : addr.host;
  return `http://${host}:${addr.port}`;
}

function parseHttpUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http:// or https:// URL');
  return raw.replace(/\/+$/, '');
}

export function formatHostPort(addr: HostPort): string {
  return `${addr.host}:${addr.port}`;
}

function parseIntInRange(raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new Error('expected a whole number');
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`expected ${min}..${max}`);
  return value;
}

function parseBoolean(raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error('expected true or false');
}

function parseOperatorToken(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (raw.length < 16) throw new Error('an operator token needs at least 16 characters');
  return raw;
}

/** Copied into Kamailio's config as a quoted string, so only URL-safe base64 characters. */
function parseAgentSecret(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^[A-Za-z0-9_-]{24,128}$/.test(raw)) throw new Error('expected 24 to 128 characters among A-Z a-z 0-9 _ -');
  return raw;
}

function parseFee(raw: string): bigint {
  const micros = parseDecimalToMicros(raw);
  if (micros < 0n) throw new Error('a fee cannot be negative');
  return micros;
}

function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw;
}

function oneOf(raw: string, allowed: readonly string[]): string {
  if (!allowed.includes(raw)) throw new Error(`expected one of ${allowed.join(', ')}`);
  return raw;
}

function optional(raw: string | undefined): string | undefined {
  return raw === undefined || raw === '' ? undefined : raw;
}
