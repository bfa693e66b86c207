/**
 * `npm run render-kamailio-config -- DIR`: writes Kamailio's config for a deployment where
 * Kamailio runs on its own (docker-compose), from the same settings the control plane reads.
 */
import { loadConfig } from '../common/config.ts';
import { kamailioSettings, writeKamailioConfig } from './kamailio-config.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npm run render-kamailio-config -- DIR');
  process.exit(2);
}
const config = loadConfig();
if (config.databaseUrl === undefined) {
  console.error('set DATABASE_URL to the PostgreSQL that Kamailio writes its call records to');
  process.exit(2);
}
if (config.agentSecret === undefined) {
  console.error('set MINUTEX_AGENT_SECRET (24+ characters of A-Z a-z 0-9 _ -) for the switch and the control plane alike');
  process.exit(2);
}
// The container's module folder, whatever this machine has.
if (config.switchDatabaseUrl === undefined) {
  console.error('note: MINUTEX_SWITCH_DATABASE_URL is not set, so the switch gets DATABASE_URL; give it the minutex_switch role (migration 040), which can only insert its call records');
}
const file = writeKamailioConfig(dir, { ...kamailioSettings(config, config.switchDatabaseUrl ?? config.databaseUrl, config.agentSecret), modulesDir: config.kamailioModulesDir ?? '/usr/lib/x86_64-linux-gnu/kamailio/modules' });
console.log(`wrote ${file}`);
