/** `npm run fsn-sandbox`: the financial services node sandbox on the address MINUTEX_FSN_URL names. */
import { loadConfig } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { startFsnSandbox } from './sandbox.ts';

const config = loadConfig();
if (config.fsnWebhookSecretGenerated) {
  // The sandbox signs its webhooks with the secret minutex checks them with: it must be given.
  console.error('MINUTEX_FSN_WEBHOOK_SECRET must be set: the same secret minutex checks the webhooks with');
  process.exit(2);
}
const log = createLogger(config.logLevel, undefined, undefined, config.logFormat);
const url = new URL(config.fsnUrl);
const sandbox = await startFsnSandbox({
  host: url.hostname, port: Number(url.port || 80), webhookUrl: config.fsnWebhookUrl, webhookSecret: config.fsnWebhookSecret,
  drawDecisionMs: config.fsnDrawDecisionMs,
});
log.info({ url: sandbox.url, webhooks: config.fsnWebhookUrl }, 'financial services node sandbox listening');
const stop = () => {
  sandbox.stop().then(() => process.exit(0), (error: unknown) => {
    log.error({ err: error }, 'error while stopping');
    process.exit(1);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
