/**
 * The outside systems' sandboxes (credit bureau, financial services node) as processes of their
 * own for a test, started the way `npm start` starts them (common/local-service.ts).
 */
import { startLocalService, type LocalService } from '../../common/local-service.ts';
import { createLogger } from '../../common/logger.ts';
import { TEST_FSN_WEBHOOK_SECRET } from './system.ts';

const SANDBOXES = {
  bureau: { name: 'credit bureau sandbox', script: 'bureau/main.ts', variable: 'MINUTEX_BUREAU_URL', defaults: {} },
  fsn: { name: 'financial services node sandbox', script: 'fsn/main.ts', variable: 'MINUTEX_FSN_URL', defaults: { MINUTEX_FSN_WEBHOOK_SECRET: TEST_FSN_WEBHOOK_SECRET } },
} as const;

/** Starts the sandbox on `url`; refuses when something already answers there (a leftover would be tested instead). */
export async function startSandbox(kind: keyof typeof SANDBOXES, url: string, env: Record<string, string> = {}): Promise<LocalService> {
  const { name, script, variable, defaults } = SANDBOXES[kind];
  const started = await startLocalService({ name, url, script, env: { [variable]: url, MINUTEX_LOG_LEVEL: 'silent', ...defaults, ...env } }, createLogger('silent'));
  if (started === null) throw new Error(`something already answers at ${url}: the ${name} was not started`);
  return started;
}
