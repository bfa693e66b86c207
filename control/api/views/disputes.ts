/**
 * Reconciliations, disputes and credit/debit notes as their carrier reads them: money as decimal
 * strings, minutes from milliseconds, times in ISO 8601. Nothing here names the other side of a
 * call: calls are the carrier's own (its leg's Call-ID, the number it dialled or terminated, the
 * line of its own file) and amounts are per destination.
 */
import { formatMicros } from '../../../common/money.ts';
import { basisPointsText } from '../../../billing/core/disputes.ts';
import { statementNumberText } from '../../../billing/core/statement-lifecycle.ts';
import type { SideTotals } from '../../../billing/core/reconciliation.ts';
import type { StoredDispute } from '../../../billing/settlement/dispute-store.ts';
import type { StoredNote } from '../../../billing/settlement/note-store.ts';
import type { StoredReconciliation } from '../../../billing/settlement/reconciliation-store.ts';
import { csvDocument, csvField, csvText } from './csv.ts';

/** Milliseconds as minutes with two decimals, rounded half up, for display only. */
export function minutesText(duration_ms: number): string {
  const hundredths = (BigInt(duration_ms) * 100n + 30_000n) / 60_000n;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

export function reconciliationSummaryView(reconciliation: Omit<StoredReconciliation, 'result'>) {
  return {
    id: reconciliation.id,
    carrier_id: reconciliation.carrier_id,
    section: reconciliation.section,
    currency: reconciliation.currency,
    period: { first_day: reconciliation.first_day, last_day: reconciliation.last_day, time_zone: reconciliation.time_zone, starts_at: reconciliation.start_at.toISOString(), ends_at: reconciliation.end_at.toISOString() },
    tolerances: { start_seconds: reconciliation.start_tolerance_ms / 1000, duration_seconds: reconciliation.duration_tolerance_ms / 1000 },
    calls: { ours: reconciliation.our_calls, theirs: reconciliation.their_calls, matched: reconciliation.matched_calls },
    amount_in_question: formatMicros(reconciliation.amount_in_question_micros, reconciliation.currency),
    created_at: reconciliation.created_at.toISOString(),
  };
}

export function reconciliationView(reconciliation: StoredReconciliation) {
  const money = (micros: bigint | null) => (micros === null ? null : formatMicros(micros, reconciliation.currency));
  const side = (totals: SideTotals) => ({ calls: totals.calls, minutes: minutesText(totals.duration_ms), amount: money(totals.amount_micros) });
  const result = reconciliation.result;
  return {
    ...reconciliationSummaryView(reconciliation),
    matched_by_call_id: result.matched_by_call_id,
    mismatches_total: result.mismatches_total,
    mismatches_listed: result.mismatches.length,
    days: result.days.map((day) => ({
      day: day.day, ours: side(day.ours), theirs: side(day.theirs),
      difference: { calls: day.theirs.calls - day.ours.calls, amount: money(day.theirs.amount_micros - day.ours.amount_micros) },
    })),
    destinations: result.destinations.map((one) => ({
      destination: one.destination_name, destination_id: one.destination_id, ours: side(one.ours), theirs: side(one.theirs), rate_difference: money(one.rate_difference_micros),
    })),
    mismatches_by_day_and_destination: result.groups.map((group) => ({
      day: group.day, destination: group.destination_name, destination_id: group.destination_id, mismatches: group.mismatches,
      amount_in_question: money(group.amount_in_question_micros), difference: money(group.difference_micros),
    })),
    mismatches: result.mismatches.map((one) => ({
      kind: one.kind, day: one.day, destination: one.destination_name, called_number: one.called_number, start_time: new Date(one.start_ms).toISOString(),
      call_id: one.our_call_id, your_line: one.their_line,
      our_duration_seconds: one.our_duration_ms === null ? null : one.our_duration_ms / 1000,
      your_duration_seconds: one.their_duration_ms === null ? null : one.their_duration_ms / 1000,
      our_amount: money(one.our_amount_micros), your_amount: money(one.their_amount_micros), difference: money(one.difference_micros),
    })),
  };
}

export function disputeView(dispute: StoredDispute) {
  const money = (micros: bigint) => formatMicros(micros, dispute.currency);
  return {
    id: dispute.id,
    carrier_id: dispute.carrier_id,
    statement_id: dispute.statement_id,
    line_no: dispute.line_no,
    section: dispute.section,
    destination: dispute.destination_name,
    destination_id: dispute.destination_id,
    currency: dispute.currency,
    kind: dispute.kind,
    reconciliation_id: dispute.reconciliation_id,
    claimed: money(dispute.claimed_micros),
    volume_difference_percent: basisPointsText(dispute.volume_difference_bp),
    reason: dispute.reason,
    opened_at: dispute.opened_at.toISOString(),
    status: dispute.status,
    accepted: dispute.accepted_micros === null ? null : money(dispute.accepted_micros),
    resolution_note: dispute.resolution_note,
    resolved_at: dispute.resolved_at?.toISOString() ?? null,
    credit_note_id: dispute.credit_note_id,
  };
}

export function noteView(note: StoredNote) {
  const money = (micros: bigint) => formatMicros(micros, note.currency);
  return {
    id: note.id,
    kind: note.kind,
    number: note.number_text,
    carrier: { id: note.carrier_id, name: note.carrier_name },
    currency: note.currency,
    section: note.section,
    statement: { id: note.statement_id, number: statementNumberText(note.statement_number) },
    amount: money(note.amount_micros),
    allocated_to_statement: money(note.allocated_micros),
    source: note.dispute_id !== null ? { dispute_id: note.dispute_id } : note.correction_id !== null ? { rate_correction_id: note.correction_id } : { deferral_id: note.deferral_id ?? null },
    reason: note.reason,
    issued_at: note.issued_at.toISOString(),
    lines: note.lines.map((line) => ({ destination: line.destination_name, destination_id: line.destination_id, calls: line.calls, billed_seconds: line.billed_s, amount: money(line.amount_micros) })),
  };
}

const NOTE_CSV_HEADER = ['note', 'kind', 'currency', 'statement', 'record', 'destination', 'calls', 'billed_seconds', 'amount'];

export function noteCsv(note: StoredNote): string {
  const view = noteView(note);
  const head = [view.number, view.kind, view.currency, view.statement.number].map(csvField);
  const lines = view.lines.map((line) => [...head, 'line', csvText(line.destination), String(line.calls), String(line.billed_seconds), line.amount]);
  const totals = [[...head, 'total', 'amount', '', '', view.amount], [...head, 'total', 'allocated_to_statement', '', '', view.allocated_to_statement]];
  return csvDocument([NOTE_CSV_HEADER, ...lines, ...totals]);
}
