/**
 * A Kamailio of its own for tests where the switch must outlive the control plane (the control
 * plane then runs with MINUTEX_EXTERNAL_SWITCH=true and connects to it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../common/logger.ts';
import { writeKamailioConfig } from '../../switch/kamailio-config.ts';
import { startKamailio } from '../../switch/kamailio-process.ts';

/** The agent secret of standalone switches; startTestSystem passes it when the switch is external. */
export const STANDALONE_AGENT_SECRET = 'standalone-switch-agent-secret-for-tests';

export interface StandaloneSwitch {
  stop(): Promise<void>;
}

export function startStandaloneSwitch(ports: { sip: number; evapi: number; jsonrpc: number }, databaseUrl: string, maxCallDurationS = 3600): StandaloneSwitch {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minutex-switch-'));
  const configFile = writeKamailioConfig(dir, {
    sipAddr: { host: '127.0.0.1', port: ports.sip }, evapiAddr: { host: '127.0.0.1', port: ports.evapi }, jsonrpcAddr: { host: '127.0.0.1', port: ports.jsonrpc },
    agentAddress: '127.0.0.1', agentSecret: STANDALONE_AGENT_SECRET, databaseUrl, children: 4, routeTimeoutMs: 1000, sellerNoReplyTimeoutMs: 3000, sellerRingTimeoutMs: 60000, maxCallDurationS,
  });
  const kamailio = startKamailio({ bin: '/usr/sbin/kamailio', configFile, runDir: path.join(dir, 'run'), shmMb: 128, pkgMb: 16 }, createLogger(process.env['MINUTEX_TEST_LOG_LEVEL'] ?? 'silent'));
  return {
    async stop() {
      await kamailio.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
