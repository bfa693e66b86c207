/**
 * Secrets the server makes for itself on first start and keeps in PostgreSQL (never in the code
 * or its configuration): every node of the control plane reads the same one, and it survives a
 * restart.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';

const SECRET_BYTES = 32;

/** The secret with this name, made now if there is none yet (concurrent starts agree on one). */
export async function serverSecret(db: Db, name: string): Promise<Buffer> {
  await db.none('insert into server_secrets (name, secret) values ($1, $2) on conflict (name) do nothing', [name, randomBytes(SECRET_BYTES)]);
  const row = await db.one<{ secret: Buffer }>('select secret from server_secrets where name = $1', [name]);
  return row.secret;
}
