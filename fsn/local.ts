/**
 * Starts the sandbox beside minutex when MINUTEX_FSN_URL names this machine, so that a
 * newcomer's `npm start` or `npm run demo` is whole; a provider elsewhere is used as it is.
 * A sandbox already listening there (run by hand) is left to serve.
 */
import type { Config } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import { startFsnSandbox, type RunningSandbox } from './sandbox.ts';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function startLocalSandbox(config: Config, log: Logger): Promise<RunningSandbox | null> {
  const url = new URL(config.fsnUrl);
  if (!LOCAL_HOSTS.has(url.hostname) && !url.hostname.startsWith('127.')) return null;
  try {
    const sandbox = await startFsnSandbox({ host: url.hostname, port: Number(url.port || 80), webhookUrl: config.fsnWebhookUrl, webhookSecret: config.fsnWebhookSecret, drawDecisionMs: config.fsnDrawDecisionMs });
    log.info({ url: sandbox.url }, 'financial services node sandbox started');
    return sandbox;
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    log.info({ url: config.fsnUrl }, 'a financial services node already listens there: using it');
    return null;
  }
}
