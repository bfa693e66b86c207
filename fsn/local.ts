/** `npm start` and `npm run demo` start the financial services node sandbox as its own process when MINUTEX_FSN_URL is on this machine. */
import type { Config } from '../common/config.ts';
import { startLocalService, type LocalService } from '../common/local-service.ts';
import type { Logger } from '../common/logger.ts';

export function startLocalSandbox(config: Config, log: Logger): Promise<LocalService | null> {
  return startLocalService({
    name: 'financial services node sandbox',
    url: config.fsnUrl,
    script: 'fsn/main.ts',
    // The sandbox reads the same settings (the URL it listens on, where and how it signs webhooks).
    env: { MINUTEX_FSN_URL: config.fsnUrl, MINUTEX_FSN_WEBHOOK_URL: config.fsnWebhookUrl, MINUTEX_FSN_WEBHOOK_SECRET: config.fsnWebhookSecret,
      MINUTEX_FSN_DRAW_DECISION_MS: String(config.fsnDrawDecisionMs) },
  }, log);
}
