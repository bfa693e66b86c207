/**
 * Renders Kamailio's configuration for one switch node from the minutex config: the static
 * kamailio.cfg, minutex-routing.cfg and the included files (INCLUDE_FILES) are copied as they are, and settings.cfg gets one
 * `#!substdef` per setting (substdef, unlike define, also replaces inside quoted strings).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHostPort, type Config, type HostPort } from '../common/config.ts';

const TEMPLATE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kamailio');
/** Files kamailio.cfg includes besides the routing logic. */
const INCLUDE_FILES = ['minutex-edge.cfg', 'minutex-health.cfg', 'minutex-topology.cfg', 'minutex-media.cfg', 'minutex-control.cfg'];
const MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules'];

export interface KamailioSettings {
  readonly sipAddr: HostPort;
  /** The host of From and To toward each side (topology hiding); by default the SIP address's host. */
  readonly sipDomain?: string;
  readonly evapiAddr: HostPort;
  /** Media through rtpengine at `rtpengineControlAddr`; undefined: media flows between the carriers. */
  readonly rtpengineControlAddr?: HostPort;
  /** Seconds without RTP after which rtpengine reports a call (its --timeout); 60 when absent. */
  readonly rtpTimeoutS?: number;
  readonly jsonrpcAddr: HostPort;
  /** Address the agent connects from, besides 127.0.0.1 (another host in a deployment). */
  readonly agentAddress: string;
  /** What the agent sends first on its evapi connection to be the one that answers route requests. */
  readonly agentSecret: string;
  readonly children: number;
  readonly routeTimeoutMs: number;
  readonly sellerNoReplyTimeoutMs: number;
  readonly sellerRingTimeoutMs: number;
  readonly maxCallDurationS: number;
  /** PostgreSQL for the switch's own call records (postgres://user:password@host:port/database). */
  readonly databaseUrl: string;
  readonly modulesDir?: string;
  /** Requests an address that is no trunk may send in two seconds before it gets no answer at all. */
  readonly unknownSourceRequestsPer2s?: number;
  /** The edge logs one in this many of the requests it refuses or drops. */
  readonly edgeLogEvery?: number;
  /** SIP over TLS besides UDP: where, and the PEM certificate and key (off when absent). */
  readonly tls?: { readonly addr: HostPort; readonly certFile: string; readonly keyFile: string };
  /** Trunk health (minutex-health.cfg): OPTIONS pings to sellers' trunks every this many seconds. */
  readonly trunkPingIntervalS?: number;
  /** Missed pings in a row before a trunk is down, and answers in a row before it is up again. */
  readonly trunkDownAfter?: number;
  readonly trunkUpAfter?: number;
}

/** The trunk list the switch pings and answers OPTIONS from, next to the rendered config (the control plane rewrites it). */
export const TRUNK_LIST_FILE = 'trunks.list';

/** The switch settings of a minutex config. */
export function kamailioSettings(config: Config, databaseUrl: string, agentSecret: string): KamailioSettings {
  return {
    databaseUrl, agentSecret,
    ...(config.mediaAnchoring ? { rtpengineControlAddr: config.rtpengineControlAddr, rtpTimeoutS: config.rtpTimeoutS } : {}),
    sipAddr: config.sipAddr, sipDomain: config.sipDomain, evapiAddr: config.evapiAddr, jsonrpcAddr: config.jsonrpcAddr, agentAddress: config.agentAddress,
    children: config.kamailioChildren, routeTimeoutMs: config.routeTimeoutMs, sellerNoReplyTimeoutMs: config.sellerNoReplyTimeoutMs,
    sellerRingTimeoutMs: config.sellerRingTimeoutMs, maxCallDurationS: config.maxCallDurationS,
    ...(config.kamailioModulesDir === undefined ? {} : { modulesDir: config.kamailioModulesDir }),
    unknownSourceRequestsPer2s: config.sipUnknownRequestsPer2s,
    ...(config.sipTls === undefined ? {} : { tls: config.sipTls }),
    trunkPingIntervalS: config.trunkPingIntervalS, trunkDownAfter: config.trunkDownAfter, trunkUpAfter: config.trunkUpAfter,
  };
}

/** A fresh secret for one run of a Kamailio we start ourselves (URL-safe base64, 32 characters). */
export function newAgentSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * topoh's key, derived from the agent secret: the same for every Kamailio rendered with one secret
 * (restarts, an external switch), so messages of a call encoded before a restart decode after it.
 */
export function topologyKey(agentSecret: string): string {
  return createHmac('sha256', agentSecret).update('minutex topology hiding').digest('base64url');
}

/** The path part rtpengine calls when a call's media stopped: only rtpengine started by us knows it. */
export function mediaTimeoutToken(agentSecret: string): string {
  return createHmac('sha256', agentSecret).update('minutex media timeout').digest('base64url');
}

/** Kamailio's db_postgres takes postgres://user:password@host:port/database and no query string. */
export function kamailioDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new Error('the database URL must be postgres://');
  const credentials = parsed.username === '' ? '' : `${parsed.username}${parsed.password === '' ? '' : `:${parsed.password}`}@`;
  return `postgres://${credentials}${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}${parsed.pathname}`;
}

export function findModulesDir(): string {
  const found = MODULE_DIRS.find((dir) => existsSync(path.join(dir, 'evapi.so')));
  if (!found) throw new Error('Kamailio modules with evapi.so not found: install kamailio and kamailio-extra-modules');
  return found;
}

export function renderSettings(settings: KamailioSettings, extraDefines: Readonly<Record<string, string>> = {}, trunkListFile = TRUNK_LIST_FILE): string {
  const values: Array<[string, string | number, string]> = [
    ['MINUTEX_SIP_LISTEN', formatHostPort(settings.sipAddr), 'UDP address for SIP'],
    ['MINUTEX_SIP_HOST', settings.sipAddr.host === '0.0.0.0' ? settings.sipDomain ?? settings.sipAddr.host : settings.sipAddr.host, 'the exchange SIP address as peers see it (topoh)'],
    ['MINUTEX_SIP_DOMAIN', settings.sipDomain ?? settings.sipAddr.host, 'host of From and To toward each side'],
    ['MINUTEX_TOPOLOGY_KEY', topologyKey(settings.agentSecret), 'topoh key'],
    ['MINUTEX_MEDIA_TIMEOUT_TOKEN', mediaTimeoutToken(settings.agentSecret), 'what rtpengine calls back with'],
    ['MINUTEX_RTP_TIMEOUT_S', settings.rtpTimeoutS ?? 60, 's without RTP before rtpengine reports a call'],
    ['MINUTEX_RTPENGINE_CONTROL', formatHostPort(settings.rtpengineControlAddr ?? { host: '127.0.0.1', port: 22222 }), 'rtpengine ng socket'],
    ['MINUTEX_EVAPI_BIND', formatHostPort(settings.evapiAddr), 'TCP address of the evapi socket'],
    ['MINUTEX_JSONRPC_LISTEN', formatHostPort(settings.jsonrpcAddr), 'TCP address for JSON-RPC over HTTP'],
    ['MINUTEX_JSONRPC_PORT', settings.jsonrpcAddr.port, 'TCP port for JSON-RPC over HTTP'],
    ['MINUTEX_AGENT_ADDRESS', settings.agentAddress, 'address the control plane connects from'],
    ['MINUTEX_AGENT_SECRET', settings.agentSecret, 'what the control plane sends first to be the router'],
    ['MINUTEX_CHILDREN', settings.children, 'SIP worker processes'],
    ['MINUTEX_ROUTE_TIMEOUT_MS', settings.routeTimeoutMs, 'ms to wait for a route decision'],
    ['MINUTEX_SELLER_NO_REPLY_TIMEOUT_MS', settings.sellerNoReplyTimeoutMs, 'ms a seller may stay silent'],
    ['MINUTEX_SELLER_RING_TIMEOUT_MS', settings.sellerRingTimeoutMs, 'ms a seller may ring'],
    ['MINUTEX_MAX_CALL_DURATION_S', settings.maxCallDurationS, 's a call may last at most'],
    ['MINUTEX_MODULES_DIR', settings.modulesDir ?? findModulesDir(), 'where Kamailio modules are'],
    ['MINUTEX_DB_URL', kamailioDatabaseUrl(settings.databaseUrl), 'PostgreSQL for the switch call records'],
    ['MINUTEX_SIP_UNKNOWN_REQS_PER_2S', settings.unknownSourceRequestsPer2s ?? 16, 'requests an unknown address may send in 2 s before it is not answered'],
    ['MINUTEX_SIP_EDGE_LOG_EVERY', settings.edgeLogEvery ?? 1000, 'the edge logs one in this many refusals'],
    ...(settings.tls === undefined ? [] : [
      ['MINUTEX_SIP_TLS_LISTEN', formatHostPort(settings.tls.addr), 'TLS address for SIP'],
      ['MINUTEX_SIP_TLS_CERT', settings.tls.certFile, 'PEM certificate for SIP over TLS'],
      ['MINUTEX_SIP_TLS_KEY', settings.tls.keyFile, 'PEM private key for SIP over TLS'],
    ] satisfies Array<[string, string, string]>),
    ['MINUTEX_TRUNK_LIST_FILE', trunkListFile, 'trunks pinged with OPTIONS and answered 200 to OPTIONS'],
    ['MINUTEX_TRUNK_PING_INTERVAL_S', settings.trunkPingIntervalS ?? 10, 's between OPTIONS pings to a seller trunk'],
    ['MINUTEX_TRUNK_DOWN_AFTER', settings.trunkDownAfter ?? 3, 'missed pings before a trunk is down'],
    ['MINUTEX_TRUNK_UP_AFTER', settings.trunkUpAfter ?? 2, 'answered pings before a trunk is up again'],
    ...Object.entries(extraDefines).map(([name, value]): [string, string, string] => [name, value, 'set by the caller']),
  ];
  const lines = values.map(([name, value, comment]) => {
    const text = String(value);
    if (text.includes('!') || text.includes('\n')) throw new Error(`${name} cannot contain "!" or a newline`);
    return `# ${comment}\n#!substdef "!${name}!${text}!g"`;
  });
  // minutex-edge.cfg listens for SIP over TLS only when this is defined.
  if (settings.tls !== undefined) lines.push('# SIP over TLS is on\n#!define MINUTEX_WITH_TLS');
  // Media anchoring is a preprocessor switch: without it rtpengine is not even loaded.
  const media = settings.rtpengineControlAddr === undefined ? '' : '# media anchored through rtpengine\n#!define MINUTEX_MEDIA_ON\n';
  return `# Rendered by minutex from its configuration; do not edit.\n${lines.join('\n')}\n${media}`;
}

export interface ConfigVariant {
  /** Another routing logic in place of minutex-routing.cfg (the benchmark's static relay). */
  readonly routingFile?: string;
  readonly extraDefines?: Readonly<Record<string, string>>;
}

/** Writes the files into `dir` and returns the path of the main config. */
export function writeKamailioConfig(dir: string, settings: KamailioSettings, variant: ConfigVariant = {}): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(TEMPLATE_DIR, 'kamailio.cfg'), path.join(dir, 'kamailio.cfg'));
  copyFileSync(variant.routingFile ?? path.join(TEMPLATE_DIR, 'minutex-routing.cfg'), path.join(dir, 'minutex-routing.cfg'));
  for (const include of INCLUDE_FILES) copyFileSync(path.join(TEMPLATE_DIR, include), path.join(dir, include));
  // The trunk list starts empty when the control plane has not written one yet (it rewrites it and reloads).
  const trunkList = path.join(dir, TRUNK_LIST_FILE);
  if (!existsSync(trunkList)) writeFileSync(trunkList, '');
  // The settings carry the database password and the agent's secret: readable by their owner only.
  writeFileSync(path.join(dir, 'settings.cfg'), renderSettings(settings, variant.extraDefines, trunkList), { mode: 0o600 });
  chmodSync(path.join(dir, 'settings.cfg'), 0o600);
  return path.join(dir, 'kamailio.cfg');
}
