/**
 * Credit control in PostgreSQL (db/migrations/003_credit.sql): credit limits and collateral, and
 * the reservations that hold credit for calls in progress. PostgreSQL is the one place credit is
 * decided, so several switch nodes can share it; the arithmetic is the pure core in
 * control/core/credit/credit-math.ts, the same rating billing charges with.
 *
 * Every decision runs in one transaction that locks the buyer's credit account first (see
 * credit-account-lock.ts), computes the available credit (limit + valid collateral + ledger
 * balance − reserved) and writes the outcome, so the sum of what a buyer's calls hold never
 * exceeds what it has, to the micro-unit, however many calls ask at once.
 *
 * Settling a call (`settleInTransaction`) runs inside billing's transaction that posts the call's
 * charge to the ledger, and takes the same lock: the money leaves "reserved" and enters "spent"
 * (the receivable) in one commit, so no reader ever sees it in both or in neither.
 *
 * Collateral expiry: a letter of credit counts while it is active and before its valid_until.
 * Every decision recomputes the valid sum at its own time, so an expired one stops counting at
 * once; `refreshCollateral` brings the cached column of accounts nobody touched up to date (for
 * reports and the credit_collateral_mismatches() audit).
 */
import type { Db } from '../../common/db/database.ts';
import { LedgerStore } from '../../billing/ledger-store.ts';
import type { Tariff } from '../../billing/core/rating.ts';
import { depositReceivedTransaction, depositReleasedTransaction } from '../core/credit/collateral-ledger.ts';
import {
  assertChunk,
  assertSlack,
  availableCreditMicros,
  extensionAmount,
  firstReservation,
  plannedEndMs,
  type CallPricing,
  type CreditRefusal,
} from '../core/credit/credit-math.ts';
import { isOpenReservationState } from '../core/credit/reservation-lifecycle.ts';
import { audit } from '../store/audit.ts';
import { changeReserved, lockCreditAccountRow, lockCreditPosition, refreshCachedBalances, type Queryable } from './credit-account-lock.ts';
import { legsToJson } from './stored-legs.ts';
import { lockOpenReservation, settleMany, settleOne } from './credit-settlement.ts';
import { reserveWhenPlentiful } from './credit-fast-path.ts';
import { holdMore, releaseHold } from './reservation-holds.ts';
import { answeredLegFor, pricingOf, RESERVATION_COLUMNS, transition, type OpenReservation, type ReservationRow, type SettleOutcome } from './reservation-rows.ts';

export type CollateralKind = 'deposit' | 'letter_of_credit';

export interface CollateralInput {
  readonly kind: CollateralKind;
  readonly currency: string;
  /** > 0. */
  readonly amount_micros: bigint;
  /** The bank's or the payment's own reference; 1 to 200 characters. */
  readonly reference: string;
  /** When it stops counting; null: until released. */
  readonly valid_until: Date | null;
}

export interface CreditView {
  readonly limit_micros: bigint;
  /** Active collateral still valid now. */
  readonly collateral_micros: bigint;
  /** The ledger balance from the carrier's side: positive when the exchange owes it. */
  readonly balance_micros: bigint;
  readonly reserved_micros: bigint;
  /** Taken from the pool into nodes' leases and not held by any call yet. */
  readonly leased_micros: bigint;
  /** limit + collateral + balance − reserved − leased; may be negative. */
  readonly available_micros: bigint;
}

export interface ReserveInput {
  /** The call's SIP Call-ID: the reservation's key. */
  readonly call_id: string;
  /** The buyer. */
  readonly carrier_id: string;
  readonly currency: string;
  /** Every trade the call may be routed to, in route order (see ExtendOptions.answered_leg). */
  readonly legs: readonly Tariff[];
  readonly fee_per_minute_micros: bigint;
  /** Seconds of talk the first chunk should cover (DEFAULT_CHUNK_S). */
  readonly chunk_s: number;
  /** The switch slack every reservation also pays for (DEFAULT_SLACK_MS). */
  readonly slack_ms: bigint;
}

/** `reservation_closed`: this Call-ID already had a reservation, and it has been settled or expired. */
export type ReserveRefusal = CreditRefusal | 'reservation_closed';

export type ReserveResult =
  | { readonly ok: true; readonly amount_micros: bigint; readonly planned_end_ms: bigint }
  | { readonly ok: false; readonly reason: ReserveRefusal };

/**
 * `insufficient_credit`: the planned end cannot move (no credit left to buy more time);
 * `no_reservation`: nothing was ever reserved for this Call-ID; `reservation_closed`: it was
 * settled or expired already.
 */
export type ExtendRefusal = 'insufficient_credit' | 'no_reservation' | 'reservation_closed';

export type ExtendResult =
  | { readonly ok: true; /** The reservation's total now. */ readonly amount_micros: bigint; readonly planned_end_ms: bigint }
  | { readonly ok: false; readonly reason: ExtendRefusal };

export interface ExtendOptions {
  /**
   * The index, in the legs given to `reserve`, of the leg that answered. From then on the
   * reservation is rated on that leg alone, which is never dearer than the most expensive leg, so
   * the same money may cover more time.
   */
  readonly answered_leg?: number;
}

export type ReleaseRefusal = 'not_found' | 'not_active' | 'collateral_in_use';

interface CollateralRow {
  id: string;
  carrier_id: string;
  kind: CollateralKind;
  currency: string;
  amount_micros: bigint;
  reference: string;
  status: 'active' | 'released' | 'drawn';
  counts_now: boolean;
}

/** The most open reservations `openReservations` returns at once. */
export const MAX_OPEN_RESERVATIONS_LISTED = 10_000;

function assertCurrency(currency: string): void {
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`currency must be an ISO 4217 code, got ${JSON.stringify(currency)}`);
}

function assertCallId(call_id: string): void {
  if (call_id.length < 1 || call_id.length > 256) throw new RangeError('call_id must have 1 to 256 characters');
}

export class CreditStore {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerStore = new LedgerStore(db),
  ) {}

  /** Sets the unsecured credit limit of a carrier in one currency; audited. */
  async setCreditLimit(carrier_id: string, currency: string, limit_micros: bigint, actor: string): Promise<void> {
    assertCurrency(currency);
    if (limit_micros < 0n) throw new RangeError(`limit_micros must not be negative, got ${limit_micros}`);
    await this.db.tx('credit-set-limit', async (t) => {
      const before = await lockCreditAccountRow(t, carrier_id, currency);
      // Set by hand: assessments leave it alone until an operator hands it back to them.
      await t.none(`update credit_accounts set limit_micros = $3, limit_source = 'operator', updated_at = now() where carrier_id = $1 and currency = $2`, [
        carrier_id,
        currency,
        limit_micros,
      ]);
      await audit(t, actor, 'credit.set_limit', `carrier:${carrier_id}`, {
        currency,
        limit_micros: limit_micros.toString(),
        previous_limit_micros: before.limit_micros.toString(),
      });
    });
  }

  /**
   * Records a deposit or a letter of credit; audited. A deposit is money received, so it is also
   * posted to the ledger in the same transaction (depositReceivedTransaction).
   */
  async addCollateral(carrier_id: string, input: CollateralInput, actor: string): Promise<{ id: string }> {
    assertCurrency(input.currency);
    if (input.amount_micros <= 0n) throw new RangeError(`amount_micros must be positive, got ${input.amount_micros}`);
    return this.db.tx('credit-add-collateral', async (t) => {
      await lockCreditAccountRow(t, carrier_id, input.currency);
      const { id } = await t.one<{ id: string }>(
        `insert into collateral (carrier_id, kind, currency, amount_micros, reference, valid_until)
         values ($1, $2, $3, $4, $5, $6) returning id`,
        [carrier_id, input.kind, input.currency, input.amount_micros, input.reference, input.valid_until],
      );
      if (input.kind === 'deposit') {
        const entry = { collateral_id: id, carrier_id, currency: input.currency, amount_micros: input.amount_micros, reference: input.reference };
        const posted = await this.ledger.post(depositReceivedTransaction(entry), t);
        await t.none('update collateral set ledger_transaction_id = $2 where id = $1', [id, posted.transaction_id]);
      }
      await lockCreditPosition(t, carrier_id, input.currency);
      await audit(t, actor, 'collateral.add', `carrier:${carrier_id}`, {
        collateral_id: id,
        kind: input.kind,
        currency: input.currency,
        amount_micros: input.amount_micros.toString(),
        reference: input.reference,
        valid_until: input.valid_until?.toISOString() ?? null,
      });
      return { id };
    });
  }

  /**
   * Releases active collateral (a deposit is paid back through the ledger); audited. Refused with
   * `collateral_in_use` when what the carrier owes or holds for calls would then exceed what it
   * has left: the collateral is still backing it.
   */
  async releaseCollateral(id: string, actor: string): Promise<{ ok: true; carrier_id: string } | { ok: false; reason: ReleaseRefusal }> {
    return this.db.tx('credit-release-collateral', async (t) => {
      const found = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, currency from collateral where id = $1', [id]);
      if (found === null) return { ok: false, reason: 'not_found' };
      const position = await lockCreditPosition(t, found.carrier_id, found.currency);
      const collateral = await t.one<CollateralRow>(
        `select id, carrier_id, kind, currency, amount_micros - drawn_micros as amount_micros, reference, status,
           (valid_until is null or valid_until > now()) as counts_now
         from collateral where id = $1 for update`,
        [id],
      );
      if (collateral.status !== 'active') return { ok: false, reason: 'not_active' };
      // amount_micros is what is left of it: a draw (billing/settlement/collateral-store.ts) took the rest.
      const collateral_after_micros = position.collateral_micros - (collateral.counts_now ? collateral.amount_micros : 0n);
      if (availableCreditMicros({ ...position, collateral_micros: collateral_after_micros }) < 0n) return { ok: false, reason: 'collateral_in_use' };
      await t.none(`update collateral set status = 'released', closed_at = now() where id = $1`, [id]);
      if (collateral.kind === 'deposit') {
        const { carrier_id, currency, amount_micros, reference } = collateral;
        await this.ledger.post(depositReleasedTransaction({ collateral_id: id, carrier_id, currency, amount_micros, reference }), t);
      }
      await lockCreditPosition(t, found.carrier_id, found.currency);
      await audit(t, actor, 'collateral.release', `carrier:${collateral.carrier_id}`, {
        collateral_id: id,
        kind: collateral.kind,
        currency: collateral.currency,
        amount_micros: collateral.amount_micros.toString(),
      });
      return { ok: true, carrier_id: collateral.carrier_id };
    });
  }

  /**
   * A carrier's credit in one currency, as of now (no lock: a snapshot for display). Reserved is
   * what calls in progress hold (directly or inside a node's lease, once their rows are written);
   * leased is the rest of the nodes' leases: taken from the pool, free for the next calls.
   */
  async creditView(carrier_id: string, currency: string): Promise<CreditView> {
    assertCurrency(currency);
    const row = await this.db.one<Omit<CreditView, 'available_micros'>>(
      `select coalesce(a.limit_micros, 0) as limit_micros,
              credit_valid_collateral_micros($1, $2) as collateral_micros,
              credit_ledger_balance_micros($1, $2) as balance_micros,
              coalesce(a.reserved_micros, 0) + held.micros as reserved_micros,
              greatest(coalesce(a.leased_micros, 0) - held.micros, 0) as leased_micros
       from (select 1) as one left join credit_accounts a on a.carrier_id = $1 and a.currency = $2
       cross join lateral (select coalesce(sum(r.amount_micros), 0)::bigint as micros from credit_reservations r
                           where r.carrier_id = $1 and r.currency = $2 and r.lease_id is not null and r.state in ('pending', 'extended')) as held`,
      [carrier_id, currency],
    );
    return { ...row, available_micros: availableCreditMicros({ ...row, reserved_micros: row.reserved_micros + row.leased_micros }) };
  }

  /**
   * Reserves credit for the first chunk of a call (see `firstReservation`), before it is routed.
   * Idempotent by Call-ID: asking again for an open reservation returns it as it stands now.
   */
  async reserve(input: ReserveInput): Promise<ReserveResult> {
    assertCallId(input.call_id);
    assertCurrency(input.currency);
    assertChunk(input.chunk_s);
    assertSlack(input.slack_ms);
    const pricing: CallPricing = { legs: input.legs, fee_per_minute_micros: input.fee_per_minute_micros };
    const fast = await reserveWhenPlentiful(this.db, input, pricing);
    if (fast !== null) return fast;
    return this.db.tx('credit-reserve', async (t) => {
      const position = await lockCreditPosition(t, input.carrier_id, input.currency);
      const existing = await t.oneOrNone<ReservationRow>(`select ${RESERVATION_COLUMNS} from credit_reservations where call_id = $1`, [input.call_id]);
      if (existing !== null) return this.reservationAgain(existing, input);
      const decision = firstReservation({ pricing, position, chunk_s: input.chunk_s, slack_ms: input.slack_ms });
      if (!decision.ok) return decision;
      await t.none(
        `insert into credit_reservations (call_id, carrier_id, currency, amount_micros, state, planned_end_ms, legs, fee_per_minute_micros, slack_ms)
         values ($1, $2, $3, $4, 'pending', $5, $6::jsonb, $7, $8)`,
        [
          input.call_id,
          input.carrier_id,
          input.currency,
          decision.amount_micros,
          decision.planned_end_ms,
          legsToJson(input.legs),
          input.fee_per_minute_micros,
          input.slack_ms,
        ],
      );
      await changeReserved(t, input.carrier_id, input.currency, decision.amount_micros);
      return decision;
    });
  }

  /** Closes a call's open reservation in the transaction that posts its charge (see credit-settlement.ts). */
  settleInTransaction(t: Queryable, call_id: string, charged_micros: bigint): Promise<SettleOutcome> {
    return settleOne(t, call_id, charged_micros);
  }

  /** Closes many calls' reservations in the transaction that posts their charges (see credit-settlement.ts). */
  settleManyInTransaction(t: Queryable, settlements: ReadonlyArray<{ call_id: string; charged_micros: bigint }>): Promise<SettleOutcome[]> {
    return settleMany(t, settlements);
  }

  /** Brings the cached ledger balances of these carriers up to date, inside the posting transaction. */
  async refreshBalancesInTransaction(t: Queryable, carrier_ids: readonly string[]): Promise<void> {
    await refreshCachedBalances(t, carrier_ids);
  }

  /**
   * Adds another chunk to an open reservation, or as much time as the remaining credit pays for;
   * refused with `insufficient_credit` when the planned end cannot move later.
   */
  async extend(call_id: string, chunk_s: number, options: ExtendOptions = {}): Promise<ExtendResult> {
    assertCallId(call_id);
    assertChunk(chunk_s);
    return this.db.tx('credit-extend', async (t) => {
      const found = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, currency from credit_reservations where call_id = $1', [
        call_id,
      ]);
      if (found === null) return { ok: false, reason: 'no_reservation' };
      const position = await lockCreditPosition(t, found.carrier_id, found.currency);
      const reservation = await t.one<ReservationRow>(`select ${RESERVATION_COLUMNS} from credit_reservations where call_id = $1 for update`, [call_id]);
      if (!isOpenReservationState(reservation.state)) return { ok: false, reason: 'reservation_closed' };
      const answered_leg = answeredLegFor(reservation, options.answered_leg);
      const pricing = pricingOf(reservation, answered_leg);
      const added_micros = extensionAmount({ pricing, reserved_micros: reservation.amount_micros, position, chunk_s });
      const amount_micros = reservation.amount_micros + added_micros;
      const planned_end_ms = plannedEndMs(pricing, amount_micros, reservation.slack_ms);
      if (planned_end_ms === null) throw new Error(`reservation ${call_id} of ${amount_micros} micros covers no planned end`);
      if (planned_end_ms <= reservation.planned_end_ms) return { ok: false, reason: 'insufficient_credit' };
      await t.none(
        `update credit_reservations set amount_micros = $2, planned_end_ms = $3, state = $4, answered_leg = $5, updated_at = now()
         where call_id = $1`,
        [call_id, amount_micros, planned_end_ms, transition(reservation, 'extend'), answered_leg],
      );
      if (added_micros > 0n) await holdMore(t, reservation, added_micros);
      return { ok: true, amount_micros, planned_end_ms };
    });
  }

  /** Releases an open reservation nobody closed (reconciliation); false when there was none. */
  async expire(call_id: string, reason: string): Promise<boolean> {
    return this.db.tx('credit-expire', async (t) => {
      const reservation = await lockOpenReservation(t, call_id);
      if (reservation === null) return false;
      await t.none(
        `update credit_reservations set state = $2, closed_reason = $3, closed_at = now(), updated_at = now() where call_id = $1`,
        [call_id, transition(reservation, 'expire'), reason],
      );
      await releaseHold(t, reservation);
      return true;
    });
  }

  /** Open reservations, oldest first, at most `limit` (for reconciliation against live calls). */
  async openReservations(limit = MAX_OPEN_RESERVATIONS_LISTED, node_id?: string): Promise<OpenReservation[]> {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_OPEN_RESERVATIONS_LISTED) {
      throw new RangeError(`limit must be a whole number from 1 to ${MAX_OPEN_RESERVATIONS_LISTED}, got ${limit}`);
    }
    return this.db.map(
      `select call_id, carrier_id, currency, amount_micros, state, planned_end_ms, created_at, updated_at
       from credit_reservations where state in ('pending', 'extended') and ($2::text is null or node_id = $2 or node_id is null)
       order by created_at, call_id limit $1`,
      [limit, node_id ?? null],
      (row: OpenReservation) => ({ ...row }),
    );
  }

  /**
   * Brings every account's cached collateral_micros to the collateral valid now (letters of
   * credit that expired since the account was last touched). Each account is locked and
   * recomputed in a transaction of its own. Returns how many accounts changed.
   */
  async refreshCollateral(): Promise<number> {
    const stale = await this.db.any<{ carrier_id: string; currency: string }>('select carrier_id, currency from credit_collateral_mismatches()');
    for (const account of stale) {
      await this.db.tx('credit-refresh-collateral', (t) => lockCreditPosition(t, account.carrier_id, account.currency));
    }
    return stale.length;
  }

  /** The same Call-ID asked again: the open reservation as it stands, or why there is none. */
  private reservationAgain(existing: ReservationRow, input: ReserveInput): ReserveResult {
    if (existing.carrier_id !== input.carrier_id || existing.currency !== input.currency) {
      throw new Error(`call ${input.call_id} is already reserved for another carrier or currency`);
    }
    if (!isOpenReservationState(existing.state)) return { ok: false, reason: 'reservation_closed' };
    return { ok: true, amount_micros: existing.amount_micros, planned_end_ms: existing.planned_end_ms };
  }

}
