/**
 * Named operators in PostgreSQL. A token is 32 random bytes (base64url with an `mto_` prefix, so a
 * leaked one is recognisable); only its SHA-256 hash is stored, as for carriers' API keys (256
 * bits need no salt or slow hash). Creation and revocation are audited with the actor who did it.
 *
 * First-run login links: a one-time code, stored as a hash, that expires; exchanging it makes a
 * fresh token for the `first-run` admin (created on first use), so no long-lived token is ever
 * printed to a terminal or a URL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Subject } from 'rxjs';
import type { Db } from '../../common/db/database.ts';
import { audit } from './audit.ts';

export const OPERATOR_ROLES = ['viewer', 'noc', 'finance', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface OperatorRow {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  readonly created_at: Date;
  readonly created_by: string;
  readonly last_used_at: Date | null;
  readonly revoked_at: Date | null;
}

export interface AuthenticatedOperator {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
}

const TOKEN_PREFIX = 'mto_';
const FIRST_RUN_OPERATOR = 'first-run';
export const OPERATOR_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const hash = (text: string) => createHash('sha256').update(text).digest();
const newToken = () => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export class OperatorStore {
  /** Names of operators revoked through this store, as they are revoked (their live streams close). */
  readonly revoked = new Subject<string>();

  constructor(private readonly db: Db) {}

  /** Makes an operator; the token is returned once and never stored. 'duplicate' when the name is taken. */
  async create(name: string, role: OperatorRole, actor: string): Promise<{ id: string; name: string; role: OperatorRole; token: string } | 'duplicate'> {
    const token = newToken();
    return this.db.tx('operator-create', async (t) => {
      const row = await t.oneOrNone<{ id: string }>(
        `insert into operators (name, role, token_hash, created_by) values ($1, $2, $3, $4)
         on conflict (name) do nothing returning id`, [name, role, hash(token), actor]);
      if (row === null) return 'duplicate' as const;
      await audit(t, actor, 'operator.create', `operator:${name}`, { role });
      return { id: row.id, name, role, token };
    });
  }

  list(): Promise<OperatorRow[]> {
    return this.db.any<OperatorRow>('select id, name, role, created_at, created_by, last_used_at, revoked_at from operators order by name');
  }

  async revoke(name: string, actor: string): Promise<'revoked' | 'already_revoked' | 'not_found'> {
    const outcome = await this.db.tx('operator-revoke', async (t) => {
      const row = await t.oneOrNone<{ revoked_at: Date | null }>('select revoked_at from operators where name = $1 for update', [name]);
      if (row === null) return 'not_found' as const;
      if (row.revoked_at !== null) return 'already_revoked' as const;
      await t.none('update operators set revoked_at = now() where name = $1', [name]);
      await audit(t, actor, 'operator.revoke', `operator:${name}`);
      return 'revoked' as const;
    });
    if (outcome === 'revoked') this.revoked.next(name);
    return outcome;
  }

  /** The live operator with this token, or null. */
  authenticate(token: string): Promise<AuthenticatedOperator | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return Promise.resolve(null);
    return this.db.oneOrNone<AuthenticatedOperator>(
      `with found as (select id, name, role, last_used_at from operators where token_hash = $1 and revoked_at is null),
       touched as (update operators set last_used_at = now() from found
                   where operators.id = found.id and (found.last_used_at is null or found.last_used_at < now() - interval '1 minute'))
       select id, name, role from found`, [hash(token)]);
  }

  async isActive(name: string): Promise<boolean> {
    return (await this.db.oneOrNone('select 1 from operators where name = $1 and revoked_at is null', [name])) !== null;
  }

  /** A one-time login code valid for `ttlMs`; only its hash is stored. */
  async newLoginLink(ttlMs: number): Promise<string> {
    const code = randomBytes(24).toString('base64url');
    await this.db.none("insert into operator_login_links (code_hash, expires_at) values ($1, now() + make_interval(secs => $2))", [hash(code), ttlMs / 1000]);
    return code;
  }

  /**
   * Exchanges a login code, once and before it expires, for a fresh token of the `first-run` admin
   * (made on first use; a later exchange replaces its token). Null for an unknown, used or expired code.
   */
  async redeemLoginLink(code: string): Promise<{ name: string; token: string } | null> {
    const token = newToken();
    return this.db.tx('operator-login-link', async (t) => {
      const used = await t.oneOrNone<{ one: number }>(
        'update operator_login_links set used_at = now() where code_hash = $1 and used_at is null and expires_at > now() returning 1 as one', [hash(code)]);
      if (used === null) return null;
      await t.none(
        `insert into operators (name, role, token_hash, created_by) values ($1, 'admin', $2, 'login-link')
         on conflict (name) do update set token_hash = excluded.token_hash, revoked_at = null`, [FIRST_RUN_OPERATOR, hash(token)]);
      await audit(t, 'login-link', 'operator.login_link', `operator:${FIRST_RUN_OPERATOR}`);
      return { name: FIRST_RUN_OPERATOR, token };
    });
  }
}
