/**
 * `npm start`: the whole of minutex until Ctrl-C. SIGINT and SIGTERM stop every child process
 * (Kamailio, the embedded PostgreSQL) before the process exits.
 */
import { ConfigError, loadConfig, type Config } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { startLocalBureau } from '../bureau/local.ts';
import { startLocalSandbox } from '../fsn/local.ts';
import { startSystem, type System } from './system.ts';
import { OperatorStore } from './store/operators.ts';

/** How long the login link printed at start works. */
const LOGIN_LINK_TTL_MS = 15 * 60_000;

export async function runUntilSignal(onStarted?: (system: System, config: Config) => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel, undefined, undefined, config.logFormat);
  const system = await startSystem(config, log);
  const sandbox = await startLocalSandbox(config, log);
  if (sandbox === null && config.fsnWebhookSecretGenerated) {
    // Only a sandbox this process starts knows a secret made at start: any other node's webhooks
    // (payments received, draws honoured) would fail their signature check.
    log.warn({ fsn: config.fsnUrl }, 'MINUTEX_FSN_WEBHOOK_SECRET is not set: webhooks from the financial services node will be refused until it is');
  }
  const bureau = await startLocalBureau(config, log);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await sandbox?.stop();
    await bureau?.stop();
    await system.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await system.waitForSwitch(15_000);
  // A one-time code that expires, never a token: the page exchanges it for an admin's token.
  const code = await new OperatorStore(system.db).newLoginLink(LOGIN_LINK_TTL_MS);
  const pageUrl = `${system.apiUrl}/#login=${code}`;
  console.log(`\nminutex is running.\n  live page: ${pageUrl} (works once, for ${LOGIN_LINK_TTL_MS / 60_000} minutes)\n  API:       ${system.apiUrl}/openapi.json (Authorization: Bearer <operator token>; operators: npm run cli -- operator --help)\n  SIP:       udp:${config.sipAddr.host}:${config.sipAddr.port}\n  payments:  ${config.fsnUrl}${sandbox === null ? '' : ' (sandbox)'}\n  bureau:    ${config.bureauUrl}${bureau === null ? '' : ' (sandbox)'}\n  Ctrl-C stops everything.\n`);
  if (onStarted) await onStarted(system, config);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runUntilSignal().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
