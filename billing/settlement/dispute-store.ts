/**
 * Disputes on statement lines, with a reconciliation of the carrier's own CDRs as evidence.
 * Opening one checks the trade's rules (billing/core/disputes.ts) against the evidence; a refusal
 * stores nothing. An operator resolves it: rejected, or accepted for an amount, which issues a
 * credit note in the same transaction (posted to the ledger, settling the statement like a
 * payment). Every step is audited.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import { audit } from '../../control/store/audit.ts';
import { lockCreditAccountRow, refreshCachedBalances } from '../../control/credit/credit-account-lock.ts';
import { assessDispute, type DisputeKind, type DisputeRefusal } from '../core/disputes.ts';
import { disputeCreditTransaction } from '../core/notes.ts';
import type { StatementSection } from '../core/statement.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { issueNote } from './note-store.ts';
import { ReconciliationStore } from './reconciliation-store.ts';

export interface StoredDispute {
  readonly id: string;
  readonly carrier_id: string;
  readonly statement_id: string;
  readonly line_no: number;
  readonly section: StatementSection;
  readonly destination_id: string | null;
  readonly destination_name: string;
  readonly currency: string;
  readonly kind: DisputeKind;
  readonly reconciliation_id: string;
  readonly claimed_micros: bigint;
  readonly volume_difference_bp: bigint;
  readonly reason: string;
  readonly opened_by: string;
  readonly opened_at: Date;
  readonly status: 'open' | 'accepted' | 'rejected';
  readonly accepted_micros: bigint | null;
  readonly resolution_note: string | null;
  readonly resolved_by: string | null;
  readonly resolved_at: Date | null;
  /** The credit note an accepted dispute issued. */
  readonly credit_note_id: string | null;
}

export interface OpenDisputeRequest {
  /** The carrier the request is limited to; null for an operator. */
  readonly scope: string | null;
  readonly statement_id: string;
  readonly line_no: number;
  readonly reconciliation_id: string;
  readonly kind: DisputeKind;
  readonly reason: string;
  readonly actor: string;
  readonly now_ms: number;
}

export type OpenDisputeOutcome =
  | { readonly ok: true; readonly dispute: StoredDispute }
  | { readonly ok: false; readonly reason: 'unknown_statement' | 'unknown_line' | 'unknown_reconciliation' | 'evidence_does_not_cover_line' | 'dispute_already_open' | 'statement_void' | DisputeRefusal; readonly message: string };

export type ResolveOutcome =
  | { readonly ok: true; readonly dispute: StoredDispute }
  | { readonly ok: false; readonly reason: 'unknown_dispute' | 'dispute_already_resolved' | 'invalid_amount'; readonly message: string };

const SELECT = `select d.id, d.carrier_id, d.statement_id, d.line_no, d.section, d.destination_id, d.destination_name, trim(d.currency) as currency, d.kind,
  d.reconciliation_id, d.claimed_micros, d.volume_difference_bp, d.reason, d.opened_by, d.opened_at, d.status, d.accepted_micros, d.resolution_note,
  d.resolved_by, d.resolved_at, (select n.id from notes n where n.dispute_id = d.id) as credit_note_id
  from disputes d`;

class Refusal extends Error {
  constructor(readonly outcome: Extract<OpenDisputeOutcome, { ok: false }>) {
    super(outcome.message);
  }
}

export class DisputeStore {
  constructor(private readonly db: Db, private readonly ledger: LedgerStore) {}

  dispute(id: string): Promise<StoredDispute | null> {
    return this.db.oneOrNone<StoredDispute>(`${SELECT} where d.id = $1`, [id]);
  }

  list(filter: { carrier_id: string | null; status: string | null; limit: number }): Promise<StoredDispute[]> {
    return this.db.any<StoredDispute>(
      `${SELECT} where ($1::uuid is null or d.carrier_id = $1) and ($2::text is null or d.status = $2) order by d.opened_at desc limit $3`,
      [filter.carrier_id, filter.status, filter.limit]);
  }

  async open(request: OpenDisputeRequest): Promise<OpenDisputeOutcome> {
    const refuse = (reason: Extract<OpenDisputeOutcome, { ok: false }>['reason'], message: string) => new Refusal({ ok: false, reason, message });
    try {
      const id = await this.db.tx('dispute-open', async (t) => {
        const statement = await t.oneOrNone<{ carrier_id: string; currency: string; status: string; period_start: string; period_end: string; issued_at: Date }>(
          `select carrier_id, trim(currency) as currency, status, period_start::text as period_start, period_end::text as period_end, issued_at
           from statements where id = $1 and status <> 'draft'`, [request.statement_id]);
        if (statement === null || (request.scope !== null && request.scope !== statement.carrier_id)) throw refuse('unknown_statement', 'unknown statement');
        if (statement.status === 'void') throw refuse('statement_void', 'the statement is void');
        const line = await t.oneOrNone<{ section: StatementSection; destination_id: string | null; destination_name: string }>(
          'select section, destination_id, destination_name from statement_lines where statement_id = $1 and line_no = $2', [request.statement_id, request.line_no]);
        if (line === null) throw refuse('unknown_line', `the statement has no line ${request.line_no}`);
        const evidence = await new ReconciliationStore(this.db).reconciliation(request.reconciliation_id, t);
        if (evidence === null || evidence.carrier_id !== statement.carrier_id) throw refuse('unknown_reconciliation', 'unknown reconciliation');
        if (evidence.section !== line.section || evidence.currency !== statement.currency || evidence.first_day !== statement.period_start || evidence.last_day !== statement.period_end) {
          throw refuse('evidence_does_not_cover_line',
            `the reconciliation must be of the ${line.section} calls in ${statement.currency} from ${statement.period_start} to ${statement.period_end}, the statement's period`);
        }
        const totals = evidence.result.destinations.find((one) =>
          one.destination_id === line.destination_id && (line.destination_id !== null || one.destination_name === line.destination_name));
        const assessment = assessDispute({ kind: request.kind, section: line.section, issued_at_ms: statement.issued_at.getTime(), now_ms: request.now_ms, evidence: totals });
        if (!assessment.ok) throw refuse(assessment.reason, assessment.message);
        const open = await t.oneOrNone<{ one: number }>('select 1 as one from disputes where statement_id = $1 and line_no = $2 and status = $3', [request.statement_id, request.line_no, 'open']);
        if (open !== null) throw refuse('dispute_already_open', 'this line already has an open dispute');
        const dispute_id = randomUUID();
        await t.none(
          `insert into disputes (id, carrier_id, statement_id, line_no, section, destination_id, destination_name, currency, kind, reconciliation_id,
             claimed_micros, volume_difference_bp, reason, opened_by, status)
           values ($<id>, $<carrier_id>, $<statement_id>, $<line_no>, $<section>, $<destination_id>, $<destination_name>, $<currency>, $<kind>,
             $<reconciliation_id>, $<claimed>, $<bp>, $<reason>, $<actor>, 'open')`,
          {
            id: dispute_id, carrier_id: statement.carrier_id, statement_id: request.statement_id, line_no: request.line_no, ...line, currency: statement.currency,
            kind: request.kind, reconciliation_id: request.reconciliation_id, claimed: assessment.claimed_micros.toString(),
            bp: assessment.volume_difference_basis_points.toString(), reason: request.reason, actor: request.actor,
          });
        await audit(t, request.actor, 'dispute.open', `dispute:${dispute_id}`, {
          statement_id: request.statement_id, line_no: request.line_no, kind: request.kind, claimed_micros: assessment.claimed_micros.toString(),
        });
        return dispute_id;
      });
      return { ok: true, dispute: (await this.dispute(id))! };
    } catch (error) {
      if (error instanceof Refusal) return error.outcome;
      // Two requests for the same line at once: the unique index lets one in.
      if ((error as { constraint?: string }).constraint === 'disputes_open_line') return { ok: false, reason: 'dispute_already_open', message: 'this line already has an open dispute' };
      throw error;
    }
  }

  /** Accepts (for `accepted_micros`) or rejects an open dispute; accepting issues its credit note. */
  async resolve(id: string, resolution: { outcome: 'accepted' | 'rejected'; accepted_micros: bigint | null; note: string }, actor: string): Promise<ResolveOutcome> {
    const outcome = await this.db.tx('dispute-resolve', async (t): Promise<ResolveOutcome> => {
      const dispute = await t.oneOrNone<StoredDispute & { line_total_micros: bigint }>(
        `select d.*, trim(d.currency) as currency, l.amount_micros + l.fee_micros as line_total_micros
         from disputes d join statement_lines l on l.statement_id = d.statement_id and l.line_no = d.line_no where d.id = $1 for update of d`, [id]);
      if (dispute === null) return { ok: false, reason: 'unknown_dispute', message: 'unknown dispute' };
      if (dispute.status !== 'open') return { ok: false, reason: 'dispute_already_resolved', message: `the dispute was already ${dispute.status}` };
      if (resolution.outcome === 'rejected') {
        await t.none(`update disputes set status = 'rejected', resolution_note = $2, resolved_by = $3, resolved_at = now() where id = $1`, [id, resolution.note, actor]);
        await audit(t, actor, 'dispute.reject', `dispute:${id}`, { note: resolution.note });
        return { ok: true, dispute };
      }
      const amount = resolution.accepted_micros;
      if (amount === null || amount <= 0n || amount > dispute.line_total_micros) {
        return { ok: false, reason: 'invalid_amount', message: 'an accepted dispute credits a positive amount of at most what the line billed' };
      }
      // The credit account first, as every settlement locks it (see rate-correction.ts).
      await lockCreditAccountRow(t, dispute.carrier_id, dispute.currency);
      const [posted] = await this.ledger.postMany([disputeCreditTransaction({ dispute_id: id, carrier_id: dispute.carrier_id, currency: dispute.currency, section: dispute.section, amount_micros: amount })], t);
      await t.none(`update disputes set status = 'accepted', accepted_micros = $2, resolution_note = $3, resolved_by = $4, resolved_at = now() where id = $1`,
        [id, amount.toString(), resolution.note, actor]);
      await issueNote(t, {
        kind: 'credit', carrier_id: dispute.carrier_id, currency: dispute.currency, section: dispute.section, statement_id: dispute.statement_id,
        amount_micros: amount, dispute_id: id, correction_id: null, reason: resolution.note === '' ? `dispute on line ${dispute.line_no} accepted` : resolution.note,
        lines: [{ destination_id: dispute.destination_id, destination_name: dispute.destination_name, calls: 0, billed_s: 0, amount_micros: amount }],
        ledger_transaction_id: posted!.transaction_id,
      }, actor);
      await refreshCachedBalances(t, [dispute.carrier_id]);
      await audit(t, actor, 'dispute.accept', `dispute:${id}`, { accepted_micros: amount.toString(), note: resolution.note });
      return { ok: true, dispute };
    });
    if (!outcome.ok) return outcome;
    return { ok: true, dispute: (await this.dispute(id))! };
  }
}
