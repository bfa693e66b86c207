/** `npm run bureau-sandbox`: the credit bureau sandbox on the address MINUTEX_BUREAU_URL names. */
import { loadConfig } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { startBureauSandbox } from './sandbox.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, undefined, undefined, config.logFormat);
const url = new URL(config.bureauUrl);
// Alerts are signed with the secret minutex checks them with: without one given, none are sent.
const alerts = config.bureauWebhookSecretGenerated ? undefined : { url: config.bureauWebhookUrl, secret: config.bureauWebhookSecret };
const sandbox = await startBureauSandbox({ host: url.hostname, port: Number(url.port || 80), ...(alerts === undefined ? {} : { alerts }) });
log.info({ url: sandbox.url, alerts: alerts?.url ?? 'none (MINUTEX_BUREAU_WEBHOOK_SECRET not set)' }, 'credit bureau sandbox listening');
const stop = () => {
  sandbox.stop().then(() => process.exit(0), (error: unknown) => {
    log.error({ err: error }, 'error while stopping');
    process.exit(1);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
