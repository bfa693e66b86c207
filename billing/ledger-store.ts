/**
 * The ledger in PostgreSQL (tables ledger_accounts, ledger_transactions, ledger_postings of
 * db/migrations/001_init.sql). A transaction is checked in TypeScript before it is written, and
 * PostgreSQL checks it again at commit with a deferred trigger; account balances are kept by a
 * trigger in the same transaction as the postings.
 */
import type { ITask } from 'pg-promise';
import type { Db } from '../common/db/database.ts';
import { assertBalanced, type AccountKind, type AccountRef, type TransactionDraft } from './core/ledger.ts';

/** Stands for "the exchange itself" in the unique index ledger_accounts_identity. */
const EXCHANGE_CARRIER_ID = '00000000-0000-0000-0000-000000000000';

const SAME_ACCOUNT = `coalesce(carrier_id, '${EXCHANGE_CARRIER_ID}'::uuid) = coalesce($<carrier_id>::uuid, '${EXCHANGE_CARRIER_ID}'::uuid)
  and kind = $<kind> and currency = $<currency>`;

type Queryable = ITask<object>;

export interface PostResult {
  transaction_id: bigint;
  /** False when a transaction with the same idempotency key already existed: nothing was written. */
  created: boolean;
}

export interface AccountBalance {
  kind: AccountKind;
  currency: string;
  balance_micros: bigint;
}

export interface CurrencyTotal {
  currency: string;
  total_micros: bigint;
}

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * A draft whose idempotency key was already posted with other postings (or another kind): the
 * key means "this very transaction", so a different one under it is refused, never taken as done.
 */
export class LedgerKeyConflictError extends Error {
  override name = 'LedgerKeyConflictError';
  readonly reason = 'idempotency_key_conflict';
  constructor(readonly idempotency_key: string) {
    super(`ledger transaction ${idempotency_key} was already posted with different postings`);
  }
}

/** A transaction's content, independent of posting order: what a replay of its key must repeat. */
function fingerprint(kind: string, postings: ReadonlyArray<{ carrier_id: string | null; kind: string; currency: string; amount_micros: bigint }>): string {
  const lines = postings.map((posting) => `${posting.carrier_id ?? ''}|${posting.kind}|${posting.currency.trim()}|${posting.amount_micros}`);
  return `${kind};${lines.sort().join(';')}`;
}

function draftFingerprint(draft: TransactionDraft): string {
  return fingerprint(draft.kind, draft.postings.map((posting) => ({ ...posting.account, amount_micros: posting.amount_micros })));
}

/** Account ids remembered at most (a few per carrier and currency). */
const MAX_REMEMBERED_ACCOUNTS = 100_000;

export class LedgerStore {
  constructor(private readonly db: Db) {}

  /**
   * Posts a balanced draft; idempotent by idempotency_key: a second post of the same draft under
   * the same key changes nothing and returns the first transaction's id with created=false; a
   * different draft under a key already used throws LedgerKeyConflictError. Pass a pg-promise
   * task or transaction to join it (outside a transaction, one is opened within the task).
   */
  async post(draft: TransactionDraft, t?: Queryable): Promise<PostResult> {
    assertBalanced(draft);
    const postOne = async (tx: Queryable) => (await this.postMany([draft], tx))[0]!;
    if (t?.ctx.inTransaction) return postOne(t);
    return (t ?? this.db).tx('ledger-post', postOne);
  }

  /** Every account of a carrier, with its balance (signed: debit positive, credit negative). */
  async balances(carrier_id: string): Promise<AccountBalance[]> {
    return this.db.map(
      'select kind, currency, balance_micros from ledger_accounts where carrier_id = $1 order by kind, currency',
      [carrier_id],
      (row: AccountBalance) => ({ kind: row.kind, currency: row.currency, balance_micros: row.balance_micros }),
    );
  }

  /** Every carrier's account balances at once (the NOC page's balances of 200 carriers in one query, not 200). */
  async allCarrierBalances(): Promise<Array<AccountBalance & { carrier_id: string }>> {
    return this.db.map(
      'select carrier_id, kind, currency, balance_micros from ledger_accounts where carrier_id is not null order by carrier_id, kind, currency',
      [],
      (row: AccountBalance & { carrier_id: string }) => ({ carrier_id: row.carrier_id, kind: row.kind, currency: row.currency, balance_micros: row.balance_micros }),
    );
  }

  /** The balance of one account; 0 for an account that has never been used. */
  async accountBalance(account: AccountRef): Promise<bigint> {
    const row = await this.db.oneOrNone<{ balance_micros: bigint }>(
      `select balance_micros from ledger_accounts where ${SAME_ACCOUNT}`,
      account,
    );
    return row?.balance_micros ?? 0n;
  }

  /** The sum of all postings per currency: always 0 in a sound ledger. */
  async trialBalance(): Promise<CurrencyTotal[]> {
    return this.db.map(
      'select currency, sum(amount_micros) as total_micros from ledger_postings group by currency order by currency',
      [],
      (row: CurrencyTotal) => ({ currency: row.currency, total_micros: row.total_micros }),
    );
  }

  /** How many accounts' cached balance differs from the sum of their postings: always 0 when sound. */
  async balanceMismatches(): Promise<number> {
    const row = await this.db.one<{ count: number }>('select count(*)::integer as count from ledger_balance_mismatches()');
    return row.count;
  }

  /**
   * Posts many balanced drafts inside the caller's transaction with three statements whatever
   * their number (the transactions, a look-up of those that already existed, all the postings),
   * idempotent by key like `post`: one result per draft, in order. A key given twice posts once.
   * A draft that differs from what its key already holds (or from an earlier draft of the batch
   * with its key) throws LedgerKeyConflictError, and the caller's transaction fails with it.
   */
  async postMany(drafts: readonly TransactionDraft[], t: Queryable): Promise<PostResult[]> {
    if (!t.ctx.inTransaction) throw new Error('postMany must run inside a transaction');
    for (const draft of drafts) assertBalanced(draft);
    if (drafts.length === 0) return [];
    const created = new Map((await t.any<{ id: bigint; idempotency_key: string }>(
      `insert into ledger_transactions (idempotency_key, kind, description)
       select * from unnest($1::text[], $2::text[], $3::text[])
       on conflict (idempotency_key) do nothing returning id, idempotency_key`,
      [drafts.map((draft) => draft.idempotency_key), drafts.map((draft) => draft.kind), drafts.map((draft) => draft.description)],
    )).map((row) => [row.idempotency_key, row.id]));
    const missing = drafts.map((draft) => draft.idempotency_key).filter((key) => !created.has(key));
    const existing = missing.length === 0 ? new Map<string, { id: bigint; fingerprint: string }>() : await this.stored(t, missing);
    const firstDraft = new Map<string, string>();
    for (const draft of drafts) {
      const key = draft.idempotency_key;
      const expected = existing.get(key)?.fingerprint ?? firstDraft.get(key);
      const actual = draftFingerprint(draft);
      if (expected !== undefined && expected !== actual) throw new LedgerKeyConflictError(key);
      if (!firstDraft.has(key)) firstDraft.set(key, actual);
    }
    const results: PostResult[] = [];
    const rows = [];
    const posted = new Set<string>();
    for (const draft of drafts) {
      const id = created.get(draft.idempotency_key);
      if (id === undefined || posted.has(draft.idempotency_key)) {
        results.push({ transaction_id: id ?? existing.get(draft.idempotency_key)!.id, created: false });
        continue;
      }
      posted.add(draft.idempotency_key);
      for (const posting of draft.postings) {
        rows.push({ transaction_id: id, account_id: await this.accountId(t, posting.account), currency: posting.account.currency, amount_micros: posting.amount_micros });
      }
      results.push({ transaction_id: id, created: true });
    }
    if (rows.length > 0) {
      // One statement with four arrays, whatever the number of postings (the cached balances are
      // brought up to date by a statement trigger, one update per account, in account id order).
      try {
        await t.none(
          `insert into ledger_postings (transaction_id, account_id, currency, amount_micros)
           select * from unnest($1::bigint[], $2::bigint[], $3::char(3)[], $4::bigint[])`,
          [rows.map((row) => row.transaction_id.toString()), rows.map((row) => row.account_id.toString()), rows.map((row) => row.currency), rows.map((row) => row.amount_micros.toString())],
        );
      } catch (error) {
        if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) this.accountIds.clear();
        throw error;
      }
    }
    return results;
  }

  /** The id and content of transactions already stored under these keys. */
  private async stored(t: Queryable, keys: readonly string[]): Promise<Map<string, { id: bigint; fingerprint: string }>> {
    const rows = await t.any<{ id: bigint; idempotency_key: string; transaction_kind: string; carrier_id: string | null; kind: string | null; currency: string | null; amount_micros: bigint | null }>(
      `select t.id, t.idempotency_key, t.kind as transaction_kind, a.carrier_id, a.kind, a.currency, p.amount_micros
       from ledger_transactions t
         left join ledger_postings p on p.transaction_id = t.id
         left join ledger_accounts a on a.id = p.account_id
       where t.idempotency_key in ($1:csv)`,
      [keys],
    );
    const byKey = new Map<string, { id: bigint; kind: string; postings: Array<{ carrier_id: string | null; kind: string; currency: string; amount_micros: bigint }> }>();
    for (const row of rows) {
      const entry = byKey.get(row.idempotency_key) ?? { id: row.id, kind: row.transaction_kind, postings: [] };
      byKey.set(row.idempotency_key, entry);
      if (row.kind !== null && row.currency !== null && row.amount_micros !== null) {
        entry.postings.push({ carrier_id: row.carrier_id, kind: row.kind, currency: row.currency, amount_micros: row.amount_micros });
      }
    }
    return new Map([...byKey].map(([key, entry]) => [key, { id: entry.id, fingerprint: fingerprint(entry.kind, entry.postings) }]));
  }

  /**
   * Account ids by identity: accounts are never deleted or renumbered, so an id once read is good
   * for the life of the process, and a posting need not look its accounts up again. Bounded: past
   * the limit the memory is simply started afresh.
   */
  private readonly accountIds = new Map<string, bigint>();

  /** The account's id, creating the account on first use. */
  private async accountId(t: Queryable, account: AccountRef): Promise<bigint> {
    const key = `${account.carrier_id ?? ''}|${account.kind}|${account.currency}`;
    const known = this.accountIds.get(key);
    if (known !== undefined) return known;
    const found = await this.findOrCreateAccount(t, account);
    // An account this transaction created may yet be rolled back with it: only accounts that were
    // already there are remembered (and a posting that still meets a vanished one clears the memory).
    if (!found.created) {
      if (this.accountIds.size >= MAX_REMEMBERED_ACCOUNTS) this.accountIds.clear();
      this.accountIds.set(key, found.id);
    }
    return found.id;
  }

  private async findOrCreateAccount(t: Queryable, account: AccountRef): Promise<{ id: bigint; created: boolean }> {
    const existing = await t.oneOrNone<{ id: bigint }>(`select id from ledger_accounts where ${SAME_ACCOUNT}`, account);
    if (existing !== null) return { id: existing.id, created: false };
    // A concurrent transaction may create the same account first: then the insert does nothing
    // (after waiting for it to commit) and the select below, a new statement, sees its row.
    const created = await t.oneOrNone<{ id: bigint }>(
      `insert into ledger_accounts (carrier_id, kind, currency) values ($<carrier_id>, $<kind>, $<currency>)
       on conflict do nothing returning id`,
      account,
    );
    if (created !== null) return { id: created.id, created: true };
    const raced = await t.one<{ id: bigint }>(`select id from ledger_accounts where ${SAME_ACCOUNT}`, account);
    return { id: raced.id, created: false };
  }
}
