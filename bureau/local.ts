/**
 * `npm start` and `npm run demo` start the credit bureau sandbox as its own process when
 * MINUTEX_BUREAU_URL names this machine, so that carriers can be assessed out of the box; a bureau
 * elsewhere, or one already listening there, is used as it is.
 */
import type { Config } from '../common/config.ts';
import { startLocalService, type LocalService } from '../common/local-service.ts';
import type { Logger } from '../common/logger.ts';

export function startLocalBureau(config: Config, log: Logger): Promise<LocalService | null> {
  return startLocalService({
    name: 'credit bureau sandbox',
    url: config.bureauUrl,
    script: 'bureau/main.ts',
    // The sandbox reads the same settings: where it listens, and where and how it signs its alerts.
    env: { MINUTEX_BUREAU_URL: config.bureauUrl, MINUTEX_BUREAU_WEBHOOK_URL: config.bureauWebhookUrl, MINUTEX_BUREAU_WEBHOOK_SECRET: config.bureauWebhookSecret },
  }, log);
}
