/**
 * Issuing and reading credit and debit notes. A note is issued inside the transaction that posts
 * its ledger transaction (an accepted dispute, a rate correction): its number comes from its
 * series' counter, locked until commit, so numbers never skip; a credit note settles what is
 * still owed on its statement like a payment (statements.credited_micros, and the statement's
 * status moves as a payment would move it). Notes never change once issued (PostgreSQL refuses it).
 */
import { randomUUID } from 'node:crypto';
import type { IBaseProtocol, ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { audit } from '../../control/store/audit.ts';
import { noteAllocation, outstandingMicros, noteNumberText, type NoteKind } from '../core/notes.ts';
import { isOpenStatementState, nextStatementState, type StatementState } from '../core/statement-lifecycle.ts';
import type { StatementSection } from '../core/statement.ts';

export interface NoteLine {
  readonly destination_id: string | null;
  readonly destination_name: string;
  readonly calls: number;
  readonly billed_s: number;
  /** What this destination's calls change, in the note's direction. */
  readonly amount_micros: bigint;
}

export interface NoteDraft {
  readonly kind: NoteKind;
  readonly carrier_id: string;
  readonly currency: string;
  readonly section: StatementSection;
  readonly statement_id: string;
  readonly amount_micros: bigint;
  readonly dispute_id: string | null;
  readonly correction_id: string | null;
  /** The deferral whose interest the note charges (billing/settlement/deferral-store.ts). */
  readonly deferral_id?: string | null;
  readonly reason: string;
  readonly lines: readonly NoteLine[];
  readonly ledger_transaction_id: bigint;
}

export interface StoredNote {
  readonly id: string;
  readonly kind: NoteKind;
  readonly number: bigint;
  readonly number_text: string;
  readonly carrier_id: string;
  readonly carrier_name: string;
  readonly currency: string;
  readonly section: StatementSection;
  readonly statement_id: string;
  readonly statement_number: bigint;
  readonly amount_micros: bigint;
  readonly allocated_micros: bigint;
  readonly dispute_id: string | null;
  readonly correction_id: string | null;
  /** Set on the debit note of a deferral's interest. */
  readonly deferral_id?: string | null;
  readonly reason: string;
  readonly lines: readonly NoteLine[];
  readonly issued_by: string;
  readonly issued_at: Date;
}

const SELECT = `select n.id, n.kind, n.number, n.carrier_id, c.name as carrier_name, trim(n.currency) as currency, n.section, n.statement_id,
  s.number as statement_number, n.amount_micros, n.allocated_micros, n.dispute_id, n.correction_id, n.deferral_id, n.reason, n.lines, n.issued_by, n.issued_at
  from notes n join carriers c on c.id = n.carrier_id join statements s on s.id = n.statement_id`;

type NoteRow = Omit<StoredNote, 'number_text' | 'lines'> & { lines: Array<Omit<NoteLine, 'amount_micros'> & { amount_micros: string }> };

function noteOf(row: NoteRow): StoredNote {
  return {
    ...row, number_text: noteNumberText(row.kind, row.number),
    lines: row.lines.map((line) => ({ ...line, amount_micros: BigInt(line.amount_micros) })),
  };
}

/** Issues one note in the caller's transaction; returns its id, number and what it settled. */
export async function issueNote(t: ITask<object>, draft: NoteDraft, actor: string): Promise<{ id: string; number: bigint; allocated_micros: bigint }> {
  if (draft.amount_micros <= 0n) throw new RangeError('a note is for a positive amount');
  const counter = await t.one<{ last_number: bigint }>('select last_number from note_counters where kind = $1 for update', [draft.kind]);
  const number = counter.last_number + 1n;
  const statement = await t.one<{ status: StatementState; balance_micros: bigint; paid_micros: bigint; credited_micros: bigint; debited_micros: bigint }>(
    'select status, balance_micros, paid_micros, credited_micros, debited_micros from statements where id = $1 for update', [draft.statement_id]);
  const { allocated_micros, settles } = noteAllocation({ ...statement, open: isOpenStatementState(statement.status) }, draft.kind, draft.amount_micros);
  if (allocated_micros > 0n) {
    const after = {
      ...statement,
      credited_micros: statement.credited_micros + (draft.kind === 'credit' ? allocated_micros : 0n),
      debited_micros: statement.debited_micros + (draft.kind === 'debit' ? allocated_micros : 0n),
    };
    // A note that settles moves the statement as a payment of the same amount would; one that
    // adds to what is owed leaves it open as it was.
    const trigger = outstandingMicros(after) === 0n ? 'pay_in_full' : 'pay_partially';
    const status = settles ? nextStatementState(statement.status, trigger) ?? statement.status : statement.status;
    await t.none('update statements set credited_micros = $1, debited_micros = $2, status = $3 where id = $4',
      [after.credited_micros.toString(), after.debited_micros.toString(), status, draft.statement_id]);
  }
  await t.none('update note_counters set last_number = $1 where kind = $2', [number.toString(), draft.kind]);
  const id = randomUUID();
  await t.none(
    `insert into notes (id, kind, number, carrier_id, currency, section, statement_id, amount_micros, allocated_micros, dispute_id, correction_id,
       deferral_id, reason, lines, ledger_transaction_id, issued_by)
     values ($<id>, $<kind>, $<number>, $<carrier_id>, $<currency>, $<section>, $<statement_id>, $<amount>, $<allocated>, $<dispute_id>, $<correction_id>,
       $<deferral_id>,
       $<reason>, $<lines>::jsonb, $<ledger_transaction_id>, $<actor>)`,
    {
      ...draft, deferral_id: draft.deferral_id ?? null, id, number: number.toString(), amount: draft.amount_micros.toString(), allocated: allocated_micros.toString(),
      lines: JSON.stringify(draft.lines.map((line) => ({ ...line, amount_micros: line.amount_micros.toString() }))),
      ledger_transaction_id: draft.ledger_transaction_id.toString(), actor,
    });
  await audit(t, actor, `${draft.kind}_note.issue`, `note:${id}`, {
    number: noteNumberText(draft.kind, number), carrier_id: draft.carrier_id, statement_id: draft.statement_id,
    amount_micros: draft.amount_micros.toString(), allocated_micros: allocated_micros.toString(),
  });
  return { id, number, allocated_micros };
}

export class NoteStore {
  constructor(private readonly db: Db) {}

  async note(id: string, t: IBaseProtocol<object> = this.db): Promise<StoredNote | null> {
    const row = await t.oneOrNone<NoteRow>(`${SELECT} where n.id = $1`, [id]);
    return row === null ? null : noteOf(row);
  }

  /** Newest first; only this carrier's when `carrier_id` is given. */
  async list(filter: { carrier_id: string | null; statement_id: string | null; limit: number }): Promise<StoredNote[]> {
    const rows = await this.db.any<NoteRow>(
      `${SELECT} where ($1::uuid is null or n.carrier_id = $1) and ($2::uuid is null or n.statement_id = $2) order by n.issued_at desc, n.kind, n.number desc limit $3`,
      [filter.carrier_id, filter.statement_id, filter.limit]);
    return rows.map(noteOf);
  }
}
