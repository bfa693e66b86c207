/**
 * Collateral confirmed by the financial services node, and draws on it:
 * - a deposit received (event `deposit.received`) is recorded as collateral and posted to the
 *   ledger in the transaction that records the event, so a webhook delivered twice posts once;
 * - a letter of credit issued (event `letter_of_credit.issued`) is recorded as collateral valid
 *   until its expiry; it is not money, so nothing is posted;
 * - a draw on a deposit is honoured at once (the exchange holds the money); a draw on a letter of
 *   credit is recorded as presented, sent to the node, and posted only when the bank honours it
 *   (event `draw.honoured`); a refusal (`draw.refused`) changes nothing but the draw's status.
 * Every change locks the carrier's credit account first (control/credit/credit-account-lock.ts)
 * and brings its cached collateral and balance up to date before commit, so credit control sees
 * the collateral left and credit_overdrawn()/credit_*_mismatches() stay empty.
 */
import { randomUUID } from 'node:crypto';
import type { ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { depositReceivedTransaction } from '../../control/core/credit/collateral-ledger.ts';
import { lockCreditAccountRow, lockCreditPosition } from '../../control/credit/credit-account-lock.ts';
import { audit } from '../../control/store/audit.ts';
import { depositDrawTransaction, letterOfCreditDrawTransaction } from '../core/collateral-draw.ts';
import { firstDrawState, nextDrawState, type DrawState } from '../core/draw-lifecycle.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { lockStatement, outstandingMicros, payOnStatement, SettleRefused } from './statement-settling.ts';

export interface CollateralConfirmation {
  readonly event_id: string;
  readonly event_type: 'deposit.received' | 'letter_of_credit.issued';
  /** The node's id of the deposit or letter of credit. */
  readonly fsn_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  readonly amount_micros: bigint;
  /** A letter of credit's expiry; null for a deposit. */
  readonly valid_until: Date | null;
}

export interface DrawRequest {
  readonly collateral_id: string;
  readonly statement_id: string;
  readonly amount_micros: bigint;
  readonly actor: string;
}

/** A draw on a letter of credit recorded as presented: still to be sent to the node. */
export interface PresentedDraw {
  readonly draw_id: string;
  readonly fsn_letter_of_credit_id: string;
  readonly statement_id: string;
  readonly currency: string;
  readonly amount_micros: bigint;
}

export type DrawOutcome =
  | { readonly ok: true; readonly draw_id: string; readonly kind: 'deposit' | 'letter_of_credit'; readonly presented: PresentedDraw | null; readonly carrier_id: string }
  | { readonly ok: false; readonly reason: string };

export type EventOutcome =
  | { readonly outcome: 'applied'; readonly carrier_id: string }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'refused'; readonly reason: string };

interface CollateralRow {
  id: string;
  carrier_id: string;
  kind: 'deposit' | 'letter_of_credit';
  currency: string;
  amount_micros: bigint;
  drawn_micros: bigint;
  presented_micros: bigint;
  status: string;
  fsn_id: string | null;
  expired: boolean;
}

type Tx = ITask<object>;

export interface CollateralListing {
  readonly id: string;
  readonly kind: 'deposit' | 'letter_of_credit';
  readonly currency: string;
  readonly amount_micros: bigint;
  readonly drawn_micros: bigint;
  readonly status: string;
  readonly valid_until: Date | null;
  readonly reference: string;
}

export interface DrawListing {
  readonly id: string;
  readonly collateral_id: string;
  readonly statement_id: string;
  readonly currency: string;
  readonly amount_micros: bigint;
  readonly status: DrawState;
  readonly refusal_reason: string | null;
  readonly created_at: Date;
}

/** Records a node's event once; false when it was seen before. */
async function freshEvent(t: Tx, event_id: string, type: string): Promise<boolean> {
  return (await t.oneOrNone('insert into fsn_events (event_id, type) values ($1, $2) on conflict do nothing returning event_id', [event_id, type])) !== null;
}

export class CollateralStore {
  constructor(private readonly db: Db, private readonly ledger: LedgerStore) {}

  /** Applies a deposit received or a letter of credit issued, once per event. */
  async confirmed(event: CollateralConfirmation): Promise<EventOutcome> {
    return this.refusable(() => this.db.tx('fsn-collateral', async (t) => {
      if (!(await freshEvent(t, event.event_id, event.event_type))) return { outcome: 'duplicate' } as const;
      if ((await t.oneOrNone('select 1 from carriers where id = $1', [event.carrier_id])) === null) throw new SettleRefused('unknown_carrier');
      if (event.event_type === 'letter_of_credit.issued' && (event.valid_until === null || event.valid_until.getTime() <= Date.now())) throw new SettleRefused('letter_of_credit_expired');
      await lockCreditAccountRow(t, event.carrier_id, event.currency);
      const kind = event.event_type === 'deposit.received' ? 'deposit' : 'letter_of_credit';
      const reference = `${kind === 'deposit' ? 'deposit' : 'letter of credit'} ${event.fsn_id}`;
      const inserted = await t.oneOrNone<{ id: string }>(
        `insert into collateral (carrier_id, kind, currency, amount_micros, reference, valid_until, fsn_id)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (fsn_id) do nothing returning id`,
        [event.carrier_id, kind, event.currency, event.amount_micros, reference, event.valid_until, event.fsn_id]);
      if (inserted === null) throw new SettleRefused('collateral_already_recorded');
      let transaction_id: bigint | null = null;
      if (kind === 'deposit') {
        const entry = { collateral_id: inserted.id, carrier_id: event.carrier_id, currency: event.currency, amount_micros: event.amount_micros, reference };
        transaction_id = (await this.ledger.post(depositReceivedTransaction(entry), t)).transaction_id;
        await t.none('update collateral set ledger_transaction_id = $2 where id = $1', [inserted.id, transaction_id]);
      }
      await t.none('update fsn_events set amount_micros = $2, currency = $3, ledger_transaction_id = $4 where event_id = $1',
        [event.event_id, event.amount_micros, event.currency, transaction_id]);
      await lockCreditPosition(t, event.carrier_id, event.currency);
      await audit(t, 'fsn', 'collateral.add', `carrier:${event.carrier_id}`, {
        collateral_id: inserted.id, kind, currency: event.currency, amount_micros: event.amount_micros.toString(), fsn_id: event.fsn_id,
        valid_until: event.valid_until?.toISOString() ?? null, event_id: event.event_id,
      });
      return { outcome: 'applied', carrier_id: event.carrier_id } as const;
    }));
  }

  /** Draws on one collateral for one statement, in its own transaction. */
  async draw(request: DrawRequest): Promise<DrawOutcome> {
    try {
      return await this.db.tx('collateral-draw', (t) => this.drawIn(t, request));
    } catch (error) {
      if (error instanceof SettleRefused) return { ok: false, reason: error.reason };
      throw error;
    }
  }

  /**
   * Draws inside the caller's transaction (which rolls back whole on a refusal): a deposit is
   * posted and applied to the statement now; a letter of credit's draw is recorded as presented.
   */
  async drawIn(t: Tx, request: DrawRequest): Promise<DrawOutcome> {
    const found = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, trim(currency) as currency from collateral where id = $1', [request.collateral_id]);
    if (found === null) throw new SettleRefused('unknown_collateral');
    await lockCreditAccountRow(t, found.carrier_id, found.currency);
    const collateral = await t.one<CollateralRow>(
      `select c.id, c.carrier_id, c.kind, trim(c.currency) as currency, c.amount_micros, c.drawn_micros, c.status, c.fsn_id,
              (c.valid_until is not null and c.valid_until <= now()) as expired,
              coalesce((select sum(d.amount_micros) from collateral_draws d where d.collateral_id = c.id and d.status = 'presented'), 0) as presented_micros
       from collateral c where c.id = $1 for update`, [request.collateral_id]);
    if (collateral.status !== 'active') throw new SettleRefused('collateral_not_active');
    if (collateral.expired) throw new SettleRefused(collateral.kind === 'letter_of_credit' ? 'letter_of_credit_expired' : 'collateral_expired');
    if (collateral.kind === 'letter_of_credit' && collateral.fsn_id === null) throw new SettleRefused('letter_of_credit_not_at_node');
    if (request.amount_micros <= 0n) throw new SettleRefused('invalid_amount');
    if (request.amount_micros > collateral.amount_micros - collateral.drawn_micros - collateral.presented_micros) throw new SettleRefused('exceeds_collateral_available');
    const statement = await lockStatement(t, request.statement_id);
    if (statement.carrier_id !== collateral.carrier_id) throw new SettleRefused('carrier_mismatch');
    if (statement.currency !== collateral.currency) throw new SettleRefused('currency_mismatch');
    const pending = await t.one<{ micros: bigint }>(`select coalesce(sum(amount_micros), 0) as micros from collateral_draws where statement_id = $1 and status = 'presented'`, [statement.id]);
    if (request.amount_micros > outstandingMicros(statement) - pending.micros) throw new SettleRefused('amount_exceeds_outstanding');
    const draw_id = randomUUID();
    const entry = { draw_id, carrier_id: collateral.carrier_id, currency: collateral.currency, amount_micros: request.amount_micros, statement_id: statement.id };
    if (firstDrawState(collateral.kind) === 'honoured') {
      const posted = await this.ledger.post(depositDrawTransaction(entry), t);
      await payOnStatement(t, statement, request.amount_micros);
      await this.drawnFrom(t, collateral, request.amount_micros);
      await t.none(
        `insert into collateral_draws (id, collateral_id, carrier_id, statement_id, currency, amount_micros, status, actor, ledger_transaction_id, decided_at)
         values ($1, $2, $3, $4, $5, $6, 'honoured', $7, $8, now())`,
        [draw_id, collateral.id, collateral.carrier_id, statement.id, collateral.currency, request.amount_micros, request.actor, posted.transaction_id]);
    } else {
      await t.none(
        `insert into collateral_draws (id, collateral_id, carrier_id, statement_id, currency, amount_micros, status, actor) values ($1, $2, $3, $4, $5, $6, 'presented', $7)`,
        [draw_id, collateral.id, collateral.carrier_id, statement.id, collateral.currency, request.amount_micros, request.actor]);
    }
    await lockCreditPosition(t, collateral.carrier_id, collateral.currency);
    await audit(t, request.actor, collateral.kind === 'deposit' ? 'collateral.draw_honoured' : 'collateral.draw_presented', `carrier:${collateral.carrier_id}`, {
      draw_id, collateral_id: collateral.id, statement_id: statement.id, currency: collateral.currency, amount_micros: request.amount_micros.toString(),
    });
    const presented = collateral.kind === 'deposit' ? null : { draw_id, fsn_letter_of_credit_id: collateral.fsn_id!, statement_id: statement.id, currency: collateral.currency, amount_micros: request.amount_micros };
    return { ok: true, draw_id, kind: collateral.kind, presented, carrier_id: collateral.carrier_id };
  }

  /** The node accepted a presentation: its id for the draw, for the answer that follows. */
  async presentedAtNode(draw_id: string, fsn_draw_id: string): Promise<void> {
    await this.db.none(`update collateral_draws set fsn_draw_id = $2 where id = $1 and fsn_draw_id is null`, [draw_id, fsn_draw_id]);
  }

  /** The node (or its bank) refused a presentation at once, or later: the draw is closed, nothing posted. */
  async refused(draw_id: string, reason: string, event?: { event_id: string; type: string }): Promise<EventOutcome> {
    return this.refusable(() => this.db.tx('collateral-draw-refused', async (t) => {
      if (event !== undefined && !(await freshEvent(t, event.event_id, event.type))) return { outcome: 'duplicate' } as const;
      const draw = await t.oneOrNone<{ carrier_id: string; status: DrawState }>('select carrier_id, status from collateral_draws where id = $1 for update', [draw_id]);
      if (draw === null) throw new SettleRefused('unknown_draw');
      if (nextDrawState(draw.status, 'refuse') === undefined) throw new SettleRefused('draw_already_decided');
      await t.none(`update collateral_draws set status = 'refused', refusal_reason = $2, decided_at = now() where id = $1`, [draw_id, reason.slice(0, 200)]);
      await audit(t, 'fsn', 'collateral.draw_refused', `carrier:${draw.carrier_id}`, { draw_id, reason });
      return { outcome: 'applied', carrier_id: draw.carrier_id } as const;
    }));
  }

  /** The bank honoured a letter-of-credit draw: posted, applied to its statement, once per event. */
  async honoured(event_id: string, draw_id: string, amount_micros: bigint, currency: string): Promise<EventOutcome> {
    return this.refusable(() => this.db.tx('collateral-draw-honoured', async (t) => {
      if (!(await freshEvent(t, event_id, 'draw.honoured'))) return { outcome: 'duplicate' } as const;
      const found = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, trim(currency) as currency from collateral_draws where id = $1', [draw_id]);
      if (found === null) throw new SettleRefused('unknown_draw');
      await lockCreditAccountRow(t, found.carrier_id, found.currency);
      const draw = await t.one<{ collateral_id: string; statement_id: string; amount_micros: bigint; status: DrawState }>(
        'select collateral_id, statement_id, amount_micros, status from collateral_draws where id = $1 for update', [draw_id]);
      if (nextDrawState(draw.status, 'honour') === undefined) throw new SettleRefused('draw_already_decided');
      if (draw.amount_micros !== amount_micros || found.currency !== currency) throw new SettleRefused('draw_amount_mismatch');
      const collateral = await t.one<CollateralRow>('select id, amount_micros, drawn_micros from collateral where id = $1 for update', [draw.collateral_id]);
      const statement = await lockStatement(t, draw.statement_id);
      const entry = { draw_id, carrier_id: found.carrier_id, currency, amount_micros, statement_id: statement.id };
      const posted = await this.ledger.post(letterOfCreditDrawTransaction(entry), t);
      // The bank has paid: recorded even if the buyer paid the statement while the draw was presented.
      await payOnStatement(t, statement, amount_micros, true);
      await this.drawnFrom(t, collateral, amount_micros);
      await t.none(`update collateral_draws set status = 'honoured', ledger_transaction_id = $2, decided_at = now() where id = $1`, [draw_id, posted.transaction_id]);
      await t.none('update fsn_events set amount_micros = $2, currency = $3 where event_id = $1', [event_id, amount_micros, currency]);
      await lockCreditPosition(t, found.carrier_id, currency);
      await audit(t, 'fsn', 'collateral.draw_honoured', `carrier:${found.carrier_id}`, { draw_id, statement_id: statement.id, amount_micros: amount_micros.toString(), event_id });
      return { outcome: 'applied', carrier_id: found.carrier_id } as const;
    }));
  }

  /** Draws presented that the node has not acknowledged yet (a failed request is sent again). */
  async unsent(carrier_id: string): Promise<PresentedDraw[]> {
    return this.db.map(
      `select d.id as draw_id, c.fsn_id as fsn_letter_of_credit_id, d.statement_id, trim(d.currency) as currency, d.amount_micros
       from collateral_draws d join collateral c on c.id = d.collateral_id
       where d.carrier_id = $1 and d.status = 'presented' and d.fsn_draw_id is null order by d.created_at`,
      [carrier_id], (row: PresentedDraw) => row);
  }

  /** A carrier's collateral (what is left of each) and every draw on it, oldest first. */
  async list(carrier_id: string): Promise<{ collateral: CollateralListing[]; draws: DrawListing[] }> {
    return this.db.task('collateral-list', async (t) => ({
      collateral: await t.any<CollateralListing>(
        `select id, kind, trim(currency) as currency, amount_micros, drawn_micros, status, valid_until, reference from collateral where carrier_id = $1 order by created_at, id`,
        [carrier_id]),
      draws: await t.any<DrawListing>(
        `select id, collateral_id, statement_id, trim(currency) as currency, amount_micros, status, refusal_reason, created_at
         from collateral_draws where carrier_id = $1 order by created_at, id`, [carrier_id]),
    }));
  }

  /** Adds to what was drawn of a collateral; drawn in full, it is closed. */
  private async drawnFrom(t: Tx, collateral: Pick<CollateralRow, 'id' | 'amount_micros' | 'drawn_micros'>, amount_micros: bigint): Promise<void> {
    const drawn_micros = collateral.drawn_micros + amount_micros;
    await t.none(
      `update collateral set drawn_micros = $2, status = case when $2 >= amount_micros then 'drawn' else status end,
         closed_at = case when $2 >= amount_micros then now() else closed_at end where id = $1`,
      [collateral.id, drawn_micros]);
  }

  private async refusable(run: () => Promise<EventOutcome>): Promise<EventOutcome> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SettleRefused) return { outcome: 'refused', reason: error.reason };
      throw error;
    }
  }
}
