/**
 * `npm run render-kamailio-config -- DIR`: writes Kamailio's config for a deployment where
 * Kamailio runs on its own (docker-compose), from the same settings the control plane reads.
 */
import { loadConfig } from '../common/config.ts';
import { switchRolePassword, switchRoleUrl } from '../control/store/switch-db-role.ts';
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
// By default the switch's own role with the password the control plane gives it at start (derived
// from the agent secret; control/store/switch-db-role.ts).
const switchUrl = config.switchDatabaseUrl ?? switchRoleUrl(config.databaseUrl, switchRolePassword(config.agentSecret));
const file = writeKamailioConfig(dir, { ...kamailioSettings(config, switchUrl, config.agentSecret), modulesDir: config.kamailioModulesDir ?? '/usr/lib/x86_64-linux-gnu/kamailio/modules' });
console.log(`wrote ${file}`);
