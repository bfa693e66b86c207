/**
 * The database account Kamailio writes its call records with: the `minutex_switch` role of
 * migration 040, which may insert into switch_call_records and nothing else. Unless the operator
 * gives the switch its own URL, the control plane sets the role's password (derived from the agent
 * secret, so an external switch rendered with the same secret agrees) and hands Kamailio that URL.
 * Where the control plane may not (no CREATEROLE), the switch keeps the control plane's own account
 * and a warning says so.
 */
import { createHmac } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';

export const SWITCH_ROLE = 'minutex_switch';

export function switchRolePassword(agentSecret: string): string {
  return createHmac('sha256', agentSecret).update('minutex switch database role').digest('base64url');
}

/** The main URL with the switch role's name and password in place of the control plane's. */
export function switchRoleUrl(databaseUrl: string, password: string): string {
  const url = new URL(databaseUrl);
  url.username = SWITCH_ROLE;
  url.password = password;
  return url.toString();
}

export async function switchDatabaseUrl(db: Db, databaseUrl: string, agentSecret: string, log: Logger): Promise<string> {
  const password = switchRolePassword(agentSecret);
  try {
    // ALTER ROLE takes no bind parameters; the password is URL-safe base64 (no quotes).
    await db.none(`alter role ${SWITCH_ROLE} with login password '${password}'`);
    return switchRoleUrl(databaseUrl, password);
  } catch (error) {
    log.warn({ err: error }, `the switch keeps the control plane's database account: could not set up ${SWITCH_ROLE} (set MINUTEX_SWITCH_DATABASE_URL)`);
    return databaseUrl;
  }
}
