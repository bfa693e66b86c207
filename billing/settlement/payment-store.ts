/**
 * Applies the financial services node's confirmations (a buyer's payment, a payout to a seller) exactly once: the event id is
 * recorded (table fsn_events) in the same transaction that posts the payment to the ledger and
 * moves the statement, so a webhook delivered twice, or after a retry, finds its event and
 * changes nothing. A payment minutex cannot place (unknown statement, another currency, a
 * statement not open) is refused whole: nothing is recorded, nothing posted.
 */
import type { Db } from '../../common/db/database.ts';
import { effectiveBalance } from '../core/notes.ts';
import { paymentTransaction, payoutTransaction } from '../core/payment.ts';
import { nextStatementState, paymentTrigger, type StatementState } from '../core/statement-lifecycle.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { paymentReversalTransaction } from '../core/collateral-draw.ts';
import { lockCreditAccountRow, refreshCachedBalances } from '../../control/credit/credit-account-lock.ts';
import { lockStatement, SettleRefused, unpayOnStatement } from './statement-settling.ts';
import { repayFromPayment } from './advance-store.ts';

export interface PaymentConfirmation {
  /** A buyer's payment collected, or a payout made to a seller. */
  readonly direction: 'collected' | 'paid_out';
  readonly event_id: string;
  readonly event_type: string;
  /** The statement id minutex gave as the collection's reference. */
  readonly statement_id: string;
  readonly amount_micros: bigint;
  readonly currency: string;
  /** The node's id of the payment (a collection), so that a later reversal finds it. */
  readonly payment_id?: string;
}

export interface PaymentReversal {
  readonly event_id: string;
  /** The node's id of the payment that bounced. */
  readonly payment_id: string;
  readonly amount_micros: bigint;
  readonly currency: string;
}

export type PaymentOutcome =
  | { readonly outcome: 'applied'; readonly status: StatementState; readonly paid_micros: bigint; readonly carrier_id: string }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'refused'; readonly reason: 'unknown_statement' | 'currency_mismatch' | 'statement_not_open' };

class Refused extends Error {
  constructor(readonly reason: 'unknown_statement' | 'currency_mismatch' | 'statement_not_open') {
    super(reason);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PaymentStore {
  constructor(private readonly db: Db, private readonly ledger: LedgerStore) {}

  async apply(payment: PaymentConfirmation): Promise<PaymentOutcome> {
    try {
      return await this.db.tx('fsn-payment', async (t) => {
        const fresh = await t.oneOrNone<{ event_id: string }>('insert into fsn_events (event_id, type) values ($1, $2) on conflict do nothing returning event_id', [payment.event_id, payment.event_type]);
        if (fresh === null) return { outcome: 'duplicate' } as const;
        if (!UUID.test(payment.statement_id)) throw new Refused('unknown_statement');
        // The carrier's credit account is locked before its statement, the order every settlement
        // (draws, reversals, the overdue policy) takes them in, so that they never wait on each other in a circle.
        const owner = await t.oneOrNone<{ carrier_id: string; currency: string }>('select carrier_id, trim(currency) as currency from statements where id = $1', [payment.statement_id]);
        if (owner !== null) await lockCreditAccountRow(t, owner.carrier_id, owner.currency);
        const statement = await t.oneOrNone<{ carrier_id: string; currency: string; status: StatementState; balance_micros: bigint; paid_micros: bigint; credited_micros: bigint; debited_micros: bigint }>(
          `select carrier_id, trim(currency) as currency, status, balance_micros, paid_micros, credited_micros, debited_micros from statements where id = $1 and status <> 'draft' for update`,
          [payment.statement_id]);
        if (statement === null) throw new Refused('unknown_statement');
        if (statement.currency !== payment.currency) throw new Refused('currency_mismatch');
        // What the statement settles: owed by the carrier (collected) or owed to it (paid out).
        // Credit and debit notes allocated to the statement count with it (note-store.ts).
        const balance_micros = effectiveBalance(statement);
        const owed_micros = payment.direction === 'collected' ? balance_micros : -balance_micros;
        const paid_micros = statement.paid_micros + payment.amount_micros;
        const status = nextStatementState(statement.status, paymentTrigger(owed_micros, paid_micros));
        if (status === undefined || owed_micros <= 0n) throw new Refused('statement_not_open');
        const transaction = payment.direction === 'collected' ? paymentTransaction : payoutTransaction;
        const draft = transaction(payment.event_id, statement.carrier_id, payment.currency, payment.amount_micros, payment.statement_id);
        const [posted] = await this.ledger.postMany([draft], t);
        await t.none('update statements set paid_micros = $1, status = $2 where id = $3', [paid_micros.toString(), status, payment.statement_id]);
        await t.none(
          'update fsn_events set statement_id = $2, amount_micros = $3, currency = $4, ledger_transaction_id = $5, payment_id = $6 where event_id = $1',
          [payment.event_id, payment.statement_id, payment.amount_micros.toString(), payment.currency, posted!.transaction_id.toString(), payment.payment_id ?? null]);
        // A buyer statement pledged for a seller's advance repays the node first, with the payment.
        if (payment.direction === 'collected') {
          await repayFromPayment(t, this.ledger, { event_id: payment.event_id, statement_id: payment.statement_id, currency: payment.currency, amount_micros: payment.amount_micros });
        }
        // Credit control's cached ledger balance follows the payment in the same commit.
        await refreshCachedBalances(t, [statement.carrier_id]);
        return { outcome: 'applied', status, paid_micros, carrier_id: statement.carrier_id } as const;
      });
    } catch (error) {
      if (error instanceof Refused) return { outcome: 'refused', reason: error.reason };
      throw error;
    }
  }

  /**
   * A collected payment taken back after it was confirmed (it bounced): the ledger reverses it and
   * the statement owes it again, once per event; a reversal of a payment minutex never applied, or
   * of one already reversed, is refused and changes nothing.
   */
  async reverse(reversal: PaymentReversal): Promise<{ outcome: 'applied'; carrier_id: string; status: StatementState } | { outcome: 'duplicate' } | { outcome: 'refused'; reason: string }> {
    try {
      return await this.db.tx('fsn-payment-reversal', async (t) => {
        const fresh = await t.oneOrNone<{ event_id: string }>('insert into fsn_events (event_id, type) values ($1, $2) on conflict do nothing returning event_id', [reversal.event_id, 'collection.payment_reversed']);
        if (fresh === null) return { outcome: 'duplicate' } as const;
        const original = await t.oneOrNone<{ statement_id: string; amount_micros: bigint; currency: string }>(
          `select statement_id, amount_micros, trim(currency) as currency from fsn_events where payment_id = $1 and type = 'collection.payment_received' and ledger_transaction_id is not null`,
          [reversal.payment_id]);
        if (original === null) throw new SettleRefused('unknown_payment');
        if (original.amount_micros !== reversal.amount_micros || original.currency !== reversal.currency) throw new SettleRefused('reversal_amount_mismatch');
        const reversed = await t.oneOrNone<{ one: number }>(`select 1 as one from fsn_events where payment_id = $1 and type = 'collection.payment_reversed'`, [reversal.payment_id]);
        if (reversed !== null) throw new SettleRefused('payment_already_reversed');
        const owner = await t.one<{ carrier_id: string; currency: string }>('select carrier_id, trim(currency) as currency from statements where id = $1', [original.statement_id]);
        await lockCreditAccountRow(t, owner.carrier_id, owner.currency);
        const statement = await lockStatement(t, original.statement_id);
        const status = await unpayOnStatement(t, statement, reversal.amount_micros);
        const [posted] = await this.ledger.postMany([paymentReversalTransaction(reversal.event_id, statement.carrier_id, statement.currency, reversal.amount_micros, statement.id)], t);
        await t.none(
          'update fsn_events set statement_id = $2, amount_micros = $3, currency = $4, ledger_transaction_id = $5, payment_id = $6 where event_id = $1',
          [reversal.event_id, statement.id, reversal.amount_micros, statement.currency, posted!.transaction_id, reversal.payment_id]);
        await refreshCachedBalances(t, [statement.carrier_id]);
        return { outcome: 'applied', carrier_id: statement.carrier_id, status } as const;
      });
    } catch (error) {
      if (error instanceof SettleRefused) return { outcome: 'refused', reason: error.reason };
      throw error;
    }
  }
}
