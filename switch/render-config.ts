/**
 * `npm run render-kamailio-config -- DIR`: writes Kamailio's config for a deployment where
 * Kamailio runs on its own (docker-compose), from the same settings the control plane reads.
 */
import { switchRolePassword, switchRoleUrl } from '../control/store/switch-db-role.ts';
import { formatHostPort, loadConfig } from '../common/config.ts';
import { kamailioSettings, mediaTimeoutToken, writeKamailioConfig } from './kamailio-config.ts';
import { writeRtpengineConfig } from './rtpengine-process.ts';

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
// rtpengine, run on its own too, reports calls whose media stopped to this switch at a secret path.
if (config.mediaAnchoring) {
  const rtpengineConfig = writeRtpengineConfig({
    bin: config.rtpengineBin, mediaAddress: config.mediaAddress, controlAddr: config.rtpengineControlAddr, portMin: config.rtpPortMin, portMax: config.rtpPortMax,
    rtpTimeoutS: config.rtpTimeoutS, runDir: dir,
    timeoutCallbackUrl: `http://${formatHostPort(config.jsonrpcAddr)}/RPC/media-timeout/${mediaTimeoutToken(config.agentSecret)}`,
  });
  if (rtpengineConfig !== undefined) console.log(`wrote ${rtpengineConfig} (for rtpengine's --config-file)`);
}
