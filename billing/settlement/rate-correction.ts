/**
 * An operator's correction of a trade's rate for calls already billed, in one transaction: the
 * trade is locked (two corrections of one trade take turns), its billed calls in the range are
 * rated again at the corrected terms (billing/core/rerating.ts), and for each carrier, side and
 * statement whose figures change a credit or debit note is issued and posted to the ledger.
 * Statements are never edited. Calls not yet on a statement are left alone and counted: they
 * are billed as rated, and the same correction made after their statement run reaches them.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import { pgp } from '../../common/db/database.ts';
import { audit } from '../../control/store/audit.ts';
import { lockCreditAccountRow, refreshCachedBalances } from '../../control/credit/credit-account-lock.ts';
import type { Tariff } from '../core/rating.ts';
import { planRerating, reratingFeeTransaction, reratingNoteTransaction, type BilledCall } from '../core/rerating.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { issueNote } from './note-store.ts';

export interface RateCorrectionRequest {
  readonly trade_id: string;
  readonly tariff: Tariff;
  readonly calls_from: Date;
  readonly calls_to: Date;
  readonly reason: string;
  readonly actor: string;
}

export interface IssuedCorrectionNote {
  readonly id: string;
  readonly kind: 'credit' | 'debit';
  readonly number: bigint;
  readonly carrier_id: string;
  readonly amount_micros: bigint;
}

export type RateCorrectionOutcome =
  | { readonly ok: false; readonly reason: 'unknown_trade' }
  | {
    readonly ok: true;
    /** Null when nothing changed (e.g. the same correction made again): nothing was issued. */
    readonly correction_id: string | null;
    readonly currency: string;
    readonly calls_corrected: number;
    readonly calls_not_yet_billed: number;
    readonly notes: readonly IssuedCorrectionNote[];
  };

const correctionCallColumns = new pgp.helpers.ColumnSet(
  ['correction_id', 'call_id', 'buyer_amount_micros', 'seller_amount_micros', 'fee_amount_micros'], { table: 'rate_correction_calls' });

export async function correctRate(db: Db, ledger: LedgerStore, request: RateCorrectionRequest): Promise<RateCorrectionOutcome> {
  return db.tx('rate-correction', async (t): Promise<RateCorrectionOutcome> => {
    const trade = await t.oneOrNone<{ currency: string }>('select trim(currency) as currency from trades where id = $1 for update', [request.trade_id]);
    if (trade === null) return { ok: false, reason: 'unknown_trade' };
    const range = { trade_id: request.trade_id, from: request.calls_from, to: request.calls_to };
    const rows = await t.any<BilledCall & { billed: boolean }>(
      `select c.call_id, c.buyer_id, c.seller_id, c.duration_ms, c.fee_per_minute_micros, c.destination_id, coalesce(d.name, 'Unknown destination') as destination_name,
              c.buyer_statement_id, c.seller_statement_id, c.buyer_statement_id is not null and c.seller_statement_id is not null as billed,
              coalesce(latest.buyer_amount_micros, c.buyer_amount_micros) as buyer_amount_micros,
              coalesce(latest.seller_amount_micros, c.seller_amount_micros) as seller_amount_micros,
              coalesce(latest.fee_amount_micros, c.fee_amount_micros) as fee_amount_micros
       from cdrs c
       left join destinations d on d.id = c.destination_id
       left join lateral (
         select rc.buyer_amount_micros, rc.seller_amount_micros, rc.fee_amount_micros from rate_correction_calls rc join rate_corrections r on r.id = rc.correction_id
         where rc.call_id = c.call_id order by r.created_at desc, r.id desc limit 1) latest on true
       where c.trade_id = $<trade_id> and c.billing_status = 'rated' and c.billed_s > 0 and c.answer_at >= $<from> and c.answer_at < $<to>
       order by c.answer_at, c.call_id`, range);
    const billed = rows.filter((row) => row.billed);
    const calls_not_yet_billed = rows.length - billed.length;
    const plan = planRerating(billed, request.tariff);
    const details = {
      trade_id: request.trade_id, price_per_minute_micros: request.tariff.price_per_minute_micros.toString(), calls_from: request.calls_from.toISOString(),
      calls_to: request.calls_to.toISOString(), calls_corrected: plan.corrected.length, calls_not_yet_billed,
    };
    if (plan.corrected.length === 0) {
      await audit(t, request.actor, 'rate_correction.unchanged', `trade:${request.trade_id}`, details);
      return { ok: true, correction_id: null, currency: trade.currency, calls_corrected: 0, calls_not_yet_billed, notes: [] };
    }
    // Credit accounts before statements and ledger accounts, in one order, as every settlement
    // takes them (payments, draws, the overdue policy), so that none waits on another in a circle.
    for (const carrier_id of [...new Set(plan.notes.map((note) => note.carrier_id))].sort()) await lockCreditAccountRow(t, carrier_id, trade.currency);
    const correction_id = randomUUID();
    const fee = reratingFeeTransaction(correction_id, plan.fee_change_micros, trade.currency);
    const feePosted = fee === null ? null : (await ledger.postMany([fee], t))[0]!;
    await t.none(
      `insert into rate_corrections (id, trade_id, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros,
         calls_from, calls_to, reason, ledger_transaction_id, created_by)
       values ($<id>, $<trade_id>, $<currency>, $<price>, $<first>, $<next>, $<connect>, $<from>, $<to>, $<reason>, $<fee_transaction>, $<actor>)`,
      {
        id: correction_id, ...range, currency: trade.currency, price: request.tariff.price_per_minute_micros.toString(), first: request.tariff.first_increment_s,
        next: request.tariff.next_increment_s, connect: request.tariff.connect_fee_micros.toString(), reason: request.reason,
        fee_transaction: feePosted === null ? null : feePosted.transaction_id.toString(), actor: request.actor,
      });
    await t.none(pgp.helpers.insert(plan.corrected.map(({ call_id, rated }) => ({
      correction_id, call_id, buyer_amount_micros: rated.buyer_amount_micros.toString(), seller_amount_micros: rated.seller_amount_micros.toString(),
      fee_amount_micros: rated.fee_amount_micros.toString(),
    })), correctionCallColumns));
    const notes: IssuedCorrectionNote[] = [];
    for (const [index, note] of plan.notes.entries()) {
      const [posted] = await ledger.postMany([reratingNoteTransaction(correction_id, index, note, trade.currency)], t);
      const issued = await issueNote(t, {
        kind: note.kind, carrier_id: note.carrier_id, currency: trade.currency, section: note.section, statement_id: note.statement_id,
        amount_micros: note.amount_micros, dispute_id: null, correction_id, reason: request.reason,
        lines: note.lines.map((line) => ({
          destination_id: line.destination_id, destination_name: line.destination_name, calls: line.calls, billed_s: line.billed_s,
          amount_micros: line.balance_change_micros < 0n ? -line.balance_change_micros : line.balance_change_micros,
        })),
        ledger_transaction_id: posted!.transaction_id,
      }, request.actor);
      notes.push({ id: issued.id, kind: note.kind, number: issued.number, carrier_id: note.carrier_id, amount_micros: note.amount_micros });
    }
    // Credit control's cached ledger balances follow the notes in the same commit.
    await refreshCachedBalances(t, plan.notes.map((note) => note.carrier_id));
    await audit(t, request.actor, 'rate_correction.issue', `trade:${request.trade_id}`, { ...details, correction_id, notes: notes.length });
    return { ok: true, correction_id, currency: trade.currency, calls_corrected: plan.corrected.length, calls_not_yet_billed, notes };
  });
}
