/**
 * Carriers' API keys in PostgreSQL. A key is 32 random bytes (base64url, with a `mtx_` prefix so a
 * leaked key is recognisable in logs and secret scanners); only its SHA-256 hash is stored. A key
 * with 256 bits of entropy needs no salt or slow hash: nobody can guess a preimage of its hash.
 *
 * A key found live is remembered for AUTHENTICATED_KEY_TTL_MS, so a carrier's stream of orders
 * does not cost a database round trip each. Revoking a key through this store forgets it at once;
 * another control-plane node that remembers it refuses it at most that long afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import { Subject } from 'rxjs';
import { audit } from './audit.ts';

export interface ApiKeyRow {
  readonly id: string;
  readonly carrier_id: string;
  readonly created_at: Date;
  readonly last_used_at: Date | null;
  readonly revoked_at: Date | null;
}

export interface AuthenticatedKey {
  readonly id: string;
  readonly carrier_id: string;
}

const KEY_PREFIX = 'mtx_';
const KEY_BYTES = 32;
/** A key's last use is written at most this often, so authentication is rarely a write. */
const LAST_USED_RESOLUTION_S = 60;
/** How long a key found live is trusted without asking the database again, in ms. */
export const AUTHENTICATED_KEY_TTL_MS = 10_000;
/** Most keys remembered at once; past this the oldest are forgotten first. */
const MAX_REMEMBERED_KEYS = 10_000;

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export class ApiKeyStore {
  /** Live keys by the hex of their hash, with when they were found live. */
  private readonly remembered = new Map<string, { key: AuthenticatedKey; found_ms: number }>();
  /** Ids of keys revoked through this store, as they are revoked. */
  readonly revoked = new Subject<string>();

  constructor(private readonly db: Db, private readonly clock: () => number = Date.now) {}

  /** Makes a key for an existing carrier; the key is returned once and never stored. */
  async create(carrier_id: string, actor: string): Promise<{ id: string; key: string }> {
    const key = `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
    return this.db.tx('api-key-create', async (t) => {
      const { id } = await t.one<{ id: string }>('insert into api_keys (carrier_id, key_hash) values ($1, $2) returning id', [carrier_id, hashApiKey(key)]);
      await audit(t, actor, 'api_key.create', `carrier:${carrier_id}`, { api_key_id: id });
      return { id, key };
    });
  }

  list(carrier_id: string): Promise<ApiKeyRow[]> {
    return this.db.any<ApiKeyRow>(
      'select id, carrier_id, created_at, last_used_at, revoked_at from api_keys where carrier_id = $1 order by created_at, id', [carrier_id]);
  }

  /** Revokes a key of this carrier; 'not_found' for a key of another carrier or none. */
  async revoke(carrier_id: string, key_id: string, actor: string): Promise<'revoked' | 'already_revoked' | 'not_found'> {
    const outcome = await this.db.tx('api-key-revoke', async (t) => {
      const row = await t.oneOrNone<{ revoked_at: Date | null }>(
        'select revoked_at from api_keys where id = $1 and carrier_id = $2 for update', [key_id, carrier_id]);
      if (!row) return 'not_found';
      if (row.revoked_at !== null) return 'already_revoked';
      await t.none('update api_keys set revoked_at = now() where id = $1', [key_id]);
      await audit(t, actor, 'api_key.revoke', `carrier:${carrier_id}`, { api_key_id: key_id });
      this.forget(key_id);
      return 'revoked' as const;
    });
    // After the commit: what holds the key open (a live stream) lets go of it now.
    if (outcome === 'revoked') this.revoked.next(key_id);
    return outcome;
  }

  /** Whether the key is still live (a long-lived stream asks this now and then: another node may have revoked it). */
  async isActive(key_id: string): Promise<boolean> {
    return (await this.db.oneOrNone('select 1 from api_keys where id = $1 and revoked_at is null', [key_id])) !== null;
  }

  /**
   * The live key with this value, or null. Unless remembered: one round trip for the lookup and,
   * when it is older than the resolution, the last-use time.
   */
  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    if (!key.startsWith(KEY_PREFIX)) return null;
    const hash = hashApiKey(key);
    const hex = hash.toString('hex');
    const now_ms = this.clock();
    const known = this.remembered.get(hex);
    if (known !== undefined && now_ms - known.found_ms < AUTHENTICATED_KEY_TTL_MS) return known.key;
    this.remembered.delete(hex);
    const found = await this.lookUp(hash);
    if (found !== null) this.remember(hex, found, now_ms);
    return found;
  }

  private remember(hex: string, key: AuthenticatedKey, found_ms: number): void {
    if (this.remembered.size >= MAX_REMEMBERED_KEYS) {
      const oldest = this.remembered.keys().next();
      if (oldest.done !== true) this.remembered.delete(oldest.value);
    }
    this.remembered.set(hex, { key, found_ms });
  }

  private forget(key_id: string): void {
    for (const [hex, entry] of this.remembered) if (entry.key.id === key_id) this.remembered.delete(hex);
  }

  private lookUp(hash: Buffer): Promise<AuthenticatedKey | null> {
    return this.db.oneOrNone<AuthenticatedKey>(
      `with found as (
         select id, carrier_id, last_used_at from api_keys where key_hash = $1 and revoked_at is null
       ), touched as (
         update api_keys set last_used_at = now() from found
         where api_keys.id = found.id and (found.last_used_at is null or found.last_used_at < now() - make_interval(secs => $2))
       )
       select id, carrier_id from found`,
      [hash, LAST_USED_RESOLUTION_S]);
  }
}
