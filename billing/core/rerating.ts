/**
 * Re-rating: a trade's rate corrected for calls already billed. Each call is rated again with the
 * one rating function (rating.ts) at the corrected terms, exactly, in micro-units; the difference
 * from what it is worth now (its last rating) becomes notes, never an edit of a statement:
 *
 * - per carrier, side and statement that billed the calls, the change in what the carrier owes:
 *   a buyer owes the change in the buyer amounts; a seller owes minus the change in the seller
 *   amounts (it is paid more when they rise). A fall in what it owes is a credit note, a rise a
 *   debit note (notes.ts);
 * - in the ledger, each note moves the carrier's account against the exchange's clearing account,
 *   and the change in the exchange's fees moves its revenue against clearing, so that clearing
 *   nets to zero over one correction (buyer = seller + fee on every call).
 *
 * A call already worth the corrected amount changes nothing: the same correction made twice
 * issues nothing the second time.
 */
import { assertBalanced, type TransactionDraft } from './ledger.ts';
import { noteAccountKind, noteAccountMicros, noteFor, type NoteKind } from './notes.ts';
import { rateTradeCall, type RatedCall, type Tariff } from './rating.ts';
import type { StatementSection } from './statement.ts';

export interface BilledCall {
  readonly call_id: string;
  readonly buyer_id: string;
  readonly seller_id: string;
  readonly duration_ms: bigint;
  readonly fee_per_minute_micros: bigint;
  readonly destination_id: string | null;
  readonly destination_name: string;
  readonly buyer_statement_id: string;
  readonly seller_statement_id: string;
  /** What the call is worth now: its rating, or its last correction's. */
  readonly buyer_amount_micros: bigint;
  readonly seller_amount_micros: bigint;
  readonly fee_amount_micros: bigint;
}

export interface PlannedNoteLine {
  readonly destination_id: string | null;
  readonly destination_name: string;
  calls: number;
  billed_s: number;
  /** The change in what the carrier owes on these calls (positive: more). */
  balance_change_micros: bigint;
}

export interface PlannedNote {
  readonly kind: NoteKind;
  readonly carrier_id: string;
  readonly section: StatementSection;
  readonly statement_id: string;
  readonly amount_micros: bigint;
  readonly lines: readonly PlannedNoteLine[];
}

export interface ReratingPlan {
  /** Calls whose worth changes, with their new rating. */
  readonly corrected: ReadonlyArray<{ readonly call_id: string; readonly rated: RatedCall }>;
  readonly notes: readonly PlannedNote[];
  /** The change in the exchange's fees (positive: it earns more). */
  readonly fee_change_micros: bigint;
}

export function planRerating(calls: readonly BilledCall[], tariff: Tariff): ReratingPlan {
  const corrected: Array<{ call_id: string; rated: RatedCall }> = [];
  const groups = new Map<string, { carrier_id: string; section: StatementSection; statement_id: string; total: bigint; lines: Map<string, PlannedNoteLine> }>();
  let fee_change_micros = 0n;
  const change = (carrier_id: string, section: StatementSection, statement_id: string, call: BilledCall, billed_s: number, balance_change_micros: bigint) => {
    if (balance_change_micros === 0n) return;
    const key = `${carrier_id}\n${section}\n${statement_id}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { carrier_id, section, statement_id, total: 0n, lines: new Map() }));
    group.total += balance_change_micros;
    const lineKey = `${call.destination_id ?? ''}\n${call.destination_name}`;
    let line = group.lines.get(lineKey);
    if (line === undefined) group.lines.set(lineKey, (line = { destination_id: call.destination_id, destination_name: call.destination_name, calls: 0, billed_s: 0, balance_change_micros: 0n }));
    line.calls += 1;
    line.billed_s += billed_s;
    line.balance_change_micros += balance_change_micros;
  };
  for (const call of calls) {
    const rated = rateTradeCall(tariff, call.fee_per_minute_micros, call.duration_ms);
    const buyer_change = rated.buyer_amount_micros - call.buyer_amount_micros;
    const seller_change = rated.seller_amount_micros - call.seller_amount_micros;
    const fee_change = rated.fee_amount_micros - call.fee_amount_micros;
    if (buyer_change === 0n && seller_change === 0n && fee_change === 0n) continue;
    corrected.push({ call_id: call.call_id, rated });
    fee_change_micros += fee_change;
    change(call.buyer_id, 'bought', call.buyer_statement_id, call, rated.billed_s, buyer_change);
    change(call.seller_id, 'sold', call.seller_statement_id, call, rated.billed_s, -seller_change);
  }
  const notes: PlannedNote[] = [];
  for (const group of groups.values()) {
    const note = noteFor(group.total);
    if (note === null) continue;
    notes.push({ ...note, carrier_id: group.carrier_id, section: group.section, statement_id: group.statement_id, lines: [...group.lines.values()] });
  }
  return { corrected, notes, fee_change_micros };
}

/** The ledger transaction of one note of a correction: the carrier's account against clearing. */
export function reratingNoteTransaction(correction_id: string, index: number, note: { kind: NoteKind; carrier_id: string; section: StatementSection; amount_micros: bigint }, currency: string): TransactionDraft {
  const carrier_micros = noteAccountMicros(note.kind, note.amount_micros);
  const draft: TransactionDraft = {
    idempotency_key: `rate-correction:${correction_id}:${index}`,
    kind: `${note.kind}_note`,
    description: `rate correction ${correction_id}: ${note.kind} note`,
    postings: [
      { account: { carrier_id: note.carrier_id, kind: noteAccountKind(note.section), currency }, amount_micros: carrier_micros },
      { account: { carrier_id: null, kind: 'clearing', currency }, amount_micros: -carrier_micros },
    ],
  };
  assertBalanced(draft);
  return draft;
}

/** The change in the exchange's fees: revenue against clearing (null when the fees do not change). */
export function reratingFeeTransaction(correction_id: string, fee_change_micros: bigint, currency: string): TransactionDraft | null {
  if (fee_change_micros === 0n) return null;
  const draft: TransactionDraft = {
    idempotency_key: `rate-correction:${correction_id}:fees`,
    kind: 'rate_correction_fees',
    description: `rate correction ${correction_id}: exchange fees`,
    postings: [
      { account: { carrier_id: null, kind: 'revenue', currency }, amount_micros: -fee_change_micros },
      { account: { carrier_id: null, kind: 'clearing', currency }, amount_micros: fee_change_micros },
    ],
  };
  assertBalanced(draft);
  return draft;
}
