/**
 * Credit and debit notes: documents of their own that correct what a carrier was billed, without
 * editing the statement (which never changes once issued). No storage here.
 *
 * Seen from the carrier, like a statement's balance (positive: the carrier owes):
 * - a credit note is in the carrier's favour: a buyer owes less, or a seller is owed more;
 * - a debit note is against it: a buyer owes more, or a seller is owed less (for a seller that
 *   was over-paid, this is the credit note it owes the exchange in its own books).
 *
 * In the exchange's books a note moves the carrier's account of the side it corrects (receivable
 * for what it bought, payable for what it sold) by the note's amount: down (a credit) for a credit
 * note, up (a debit) for a debit note. The other posting depends on where the money comes from:
 * an accepted dispute is borne by the exchange (its revenue), a re-rating moves the other side of
 * the same calls (see rerating.ts). Numbers run per series without gaps: CN-000001, DN-000001.
 */
import { assertBalanced, type AccountKind, type PostingDraft, type TransactionDraft } from './ledger.ts';
import type { StatementSection } from './statement.ts';

export type NoteKind = 'credit' | 'debit';

const PREFIX: Readonly<Record<NoteKind, string>> = { credit: 'CN', debit: 'DN' };

export function noteNumberText(kind: NoteKind, number: bigint): string {
  if (number <= 0n) throw new RangeError(`note numbers start at 1, got ${number}`);
  return `${PREFIX[kind]}-${number.toString().padStart(6, '0')}`;
}

/** The carrier's ledger account a note on this side moves. */
export function noteAccountKind(section: StatementSection): AccountKind {
  return section === 'bought' ? 'receivable' : 'payable';
}

/** A note's signed effect on the carrier's account: credit notes credit it (negative), debit notes debit it. */
export function noteAccountMicros(kind: NoteKind, amount_micros: bigint): bigint {
  if (amount_micros <= 0n) throw new RangeError('a note is for a positive amount');
  return kind === 'credit' ? -amount_micros : amount_micros;
}

/** The note, if any, that a signed change in the carrier's statement balance calls for (positive: it owes more). */
export function noteFor(balance_change_micros: bigint): { kind: NoteKind; amount_micros: bigint } | null {
  if (balance_change_micros === 0n) return null;
  return balance_change_micros < 0n ? { kind: 'credit', amount_micros: -balance_change_micros } : { kind: 'debit', amount_micros: balance_change_micros };
}

export interface StatementMoney {
  /** Whether the statement is still open (issued, partially paid, overdue). */
  readonly open: boolean;
  /** bought + fees - sold, as issued: positive when the carrier owes. */
  readonly balance_micros: bigint;
  /** Paid (collected from the carrier, or paid out to it) against it. */
  readonly paid_micros: bigint;
  /** Credit and debit notes already allocated to it. */
  readonly credited_micros: bigint;
  readonly debited_micros: bigint;
}

/** What a statement settles once its notes are counted: positive when the carrier owes. */
export function effectiveBalance(statement: Pick<StatementMoney, 'balance_micros' | 'credited_micros' | 'debited_micros'>): bigint {
  return statement.balance_micros - statement.credited_micros + statement.debited_micros;
}

/** What is still to settle on a statement: owed by the carrier (positive) or to it (negative), after payments. */
export function outstandingMicros(statement: Omit<StatementMoney, 'open'>): bigint {
  const effective = effectiveBalance(statement);
  if (effective > 0n) return effective - statement.paid_micros > 0n ? effective - statement.paid_micros : 0n;
  return effective + statement.paid_micros < 0n ? effective + statement.paid_micros : 0n;
}

/**
 * The part of a note allocated to its statement, and whether it settles (like a payment) or adds
 * to what is to be settled. Only an open statement takes notes; a settled one keeps them in the
 * ledger only.
 * - A note in the direction of what is owed (a credit note where the carrier owes, a debit note
 *   where the exchange owes) settles at most what is still outstanding; the rest stays in the
 *   ledger, unallocated.
 * - A note the other way (a debit note where the carrier owes, a credit note where the exchange
 *   owes it) adds to what is to be collected or paid out, in full.
 */
export function noteAllocation(statement: StatementMoney, kind: NoteKind, amount_micros: bigint): { allocated_micros: bigint; settles: boolean } {
  if (amount_micros <= 0n) throw new RangeError('a note is for a positive amount');
  if (!statement.open) return { allocated_micros: 0n, settles: false };
  const outstanding = outstandingMicros(statement);
  const owedByCarrier = effectiveBalance(statement) > 0n;
  const settles = kind === 'credit' ? owedByCarrier : !owedByCarrier && effectiveBalance(statement) < 0n;
  if (!settles) return { allocated_micros: amount_micros, settles: false };
  const room = outstanding < 0n ? -outstanding : outstanding;
  return { allocated_micros: room < amount_micros ? room : amount_micros, settles: true };
}

export interface DisputeNoteInput {
  readonly dispute_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  readonly section: StatementSection;
  readonly amount_micros: bigint;
}

/** The ledger transaction of a credit note for an accepted dispute: the exchange bears it. */
export function disputeCreditTransaction(input: DisputeNoteInput): TransactionDraft {
  const carrier_micros = noteAccountMicros('credit', input.amount_micros);
  const postings: PostingDraft[] = [
    { account: { carrier_id: input.carrier_id, kind: noteAccountKind(input.section), currency: input.currency }, amount_micros: carrier_micros },
    { account: { carrier_id: null, kind: 'revenue', currency: input.currency }, amount_micros: -carrier_micros },
  ];
  const draft: TransactionDraft = { idempotency_key: `dispute-credit:${input.dispute_id}`, kind: 'credit_note', description: `dispute ${input.dispute_id} accepted`, postings };
  assertBalanced(draft);
  return draft;
}
