/**
 * The whole of minutex for an integration test: a fresh database on the local PostgreSQL, Kamailio
 * on its own ports, the control plane and the API, all stopped again afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { startSystem, type System } from '../../control/system.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { STANDALONE_AGENT_SECRET } from './switch.ts';

export const TEST_OPERATOR_TOKEN = 'integration-test-operator-token';
/** What tests' financial services node sandboxes and systems sign and check webhooks with, unless a test sets its own. */
export const TEST_FSN_WEBHOOK_SECRET = 'integration-test-fsn-webhook-secret';
/** What tests' credit bureau sandboxes sign their alerts with, and systems check them with. */
export const TEST_BUREAU_WEBHOOK_SECRET = 'integration-test-bureau-webhook-secret';

export interface TestPorts {
  readonly sip: number;
  readonly evapi: number;
  readonly jsonrpc: number;
  readonly api: number;
}

export interface RunningSystem {
  readonly system: System;
  readonly config: Config;
  readonly database: TestDatabase;
  readonly sipTarget: string;
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  /** A database to use (and leave in place on stop), e.g. for a restart against the same data. */
  readonly database?: TestDatabase;
  /** The control plane and its API alone, no switch started or waited for (with MINUTEX_EXTERNAL_SWITCH=true): tests of the API's clients. */
  readonly withoutSwitch?: boolean;
}

export async function startTestSystem(ports: TestPorts, env: Record<string, string> = {}, options: TestSystemOptions = {}): Promise<RunningSystem> {
  const database = options.database ?? (await createTestDatabase());
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-test-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    MINUTEX_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
    MINUTEX_SIP_ADDR: `127.0.0.1:${ports.sip}`,
    MINUTEX_EVAPI_ADDR: `127.0.0.1:${ports.evapi}`,
    MINUTEX_JSONRPC_ADDR: `127.0.0.1:${ports.jsonrpc}`,
    MINUTEX_API_ADDR: `127.0.0.1:${ports.api}`,
    MINUTEX_RUN_DIR: runDir,
    MINUTEX_KAMAILIO_SHM_MB: '128',
    MINUTEX_KAMAILIO_CHILDREN: '4',
    MINUTEX_LOG_LEVEL: process.env['MINUTEX_TEST_LOG_LEVEL'] ?? 'silent',
    // No OPTIONS pings unless a test asks for them: most tests start a seller's SIPp only for the calls it takes.
    MINUTEX_TRUNK_PING_INTERVAL_S: '0',
    // The media relay's control port and RTP ports, movable for runs beside other test runs.
    MINUTEX_RTPENGINE_CONTROL_ADDR: process.env['MINUTEX_TEST_RTPENGINE_CONTROL_ADDR'] ?? '127.0.0.1:22222',
    MINUTEX_RTP_PORT_MIN: process.env['MINUTEX_TEST_RTP_PORT_MIN'] ?? '30000',
    MINUTEX_RTP_PORT_MAX: process.env['MINUTEX_TEST_RTP_PORT_MAX'] ?? '40000',
    // Buyers approved by the limit an operator sets; tests of credit assessments ask for `assessment`.
    MINUTEX_CREDIT_APPROVAL: 'manual',
    // The secret the test sandboxes sign webhooks with (test/support/sandboxes.ts).
    MINUTEX_FSN_WEBHOOK_SECRET: TEST_FSN_WEBHOOK_SECRET,
    MINUTEX_BUREAU_WEBHOOK_SECRET: TEST_BUREAU_WEBHOOK_SECRET,
    // A switch started on its own (test/support/switch.ts) was rendered with this secret.
    ...(env['MINUTEX_EXTERNAL_SWITCH'] === 'true' ? { MINUTEX_AGENT_SECRET: STANDALONE_AGENT_SECRET } : {}),
    ...env,
  });
  const system = await startSystem(config, createLogger(config.logLevel));
  if (options.withoutSwitch !== true) await system.waitForSwitch(15_000);
  const api = async <T>(method: string, url: string, body?: unknown) => {
    const response = await fetch(`${system.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  return {
    system, config, database, sipTarget: `127.0.0.1:${ports.sip}`, api,
    async stop() {
      await system.stop();
      if (!options.database) await database.drop();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
