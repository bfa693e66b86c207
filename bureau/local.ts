/**
 * Starts the bureau sandbox beside minutex when MINUTEX_BUREAU_URL names this machine, so that
 * `npm start` can assess carriers out of the box; a bureau elsewhere is used as it is. A sandbox
 * already listening there (run by hand) is left to serve.
 */
import type { Config } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import { startBureauSandbox, type RunningBureauSandbox } from './sandbox.ts';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function startLocalBureau(config: Config, log: Logger): Promise<RunningBureauSandbox | null> {
  const url = new URL(config.bureauUrl);
  if (!LOCAL_HOSTS.has(url.hostname) && !url.hostname.startsWith('127.')) return null;
  try {
    const sandbox = await startBureauSandbox({ host: url.hostname, port: Number(url.port || 80) });
    log.info({ url: sandbox.url }, 'credit bureau sandbox started');
    return sandbox;
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    log.info({ url: config.bureauUrl }, 'a credit bureau already listens there: using it');
    return null;
  }
}
