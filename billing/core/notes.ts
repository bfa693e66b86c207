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

/**
 * The part of a credit note that settles its statement, like a payment: at most what the carrier
 * still owes on it (balance - paid - already credited), never below 0. A statement on which the
 * exchange owes the carrier takes none: the note then adds to what the exchange pays.
 */
export function creditAllocation(statement: { balance_micros: bigint; paid_micros: bigint; credited_micros: bigint }, amount_micros: bigint): bigint {
  const outstanding = statement.balance_micros - statement.paid_micros - statement.credited_micros;
  if (outstanding <= 0n) return 0n;
  return outstanding < amount_micros ? outstanding : amount_micros;
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
