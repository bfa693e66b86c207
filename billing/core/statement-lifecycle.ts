/**
 * The lifecycle of a settlement statement, changed only by `nextStatementState`.
 *
 *            issue                pay_partially
 *   draft ─────────▶ issued ──────────────────▶ partially_paid ──┐ pay_partially
 *     │                │  │                        │   ▲─────────┘
 *     │ void           │  │ fall_overdue           │ fall_overdue
 *     ▼                │  ▼                        ▼
 *   void ◀──── void ───┘  overdue ◀────────────────┘ (pay_partially keeps it overdue)
 *                         │
 *   issued, partially_paid, overdue ── pay_in_full ──▶ paid
 *
 * A payment confirmed and later reversed (it bounced) takes back what it settled: `reverse_partially`
 * (something is still paid) moves paid or partially_paid to partially_paid, `reverse_fully` (nothing
 * is) moves them to issued; an overdue statement stays overdue.
 *
 * A draft is being assembled inside a statement run and is never seen outside it. Once issued a
 * statement's figures never change (PostgreSQL refuses it too); only its status moves, with
 * payments and time. void is terminal, and paid is left only by a reversal. A move not drawn here is refused (undefined), so
 * a late or replayed event can never reopen a settled statement.
 */
export type StatementState = 'draft' | 'issued' | 'partially_paid' | 'paid' | 'overdue' | 'void';

export type StatementTrigger = 'issue' | 'pay_partially' | 'pay_in_full' | 'fall_overdue' | 'void' | 'reverse_partially' | 'reverse_fully';

const TRANSITIONS: Readonly<Record<StatementState, Partial<Record<StatementTrigger, StatementState>>>> = {
  draft: { issue: 'issued', void: 'void' },
  issued: { pay_partially: 'partially_paid', pay_in_full: 'paid', fall_overdue: 'overdue', void: 'void' },
  partially_paid: { pay_partially: 'partially_paid', pay_in_full: 'paid', fall_overdue: 'overdue', reverse_partially: 'partially_paid', reverse_fully: 'issued' },
  overdue: { pay_partially: 'overdue', pay_in_full: 'paid', reverse_partially: 'overdue', reverse_fully: 'overdue' },
  paid: { reverse_partially: 'partially_paid', reverse_fully: 'issued' },
  void: {},
};

export function nextStatementState(state: StatementState, trigger: StatementTrigger): StatementState | undefined {
  return TRANSITIONS[state][trigger];
}

/** The states in which a statement still has money to settle. */
export const OPEN_STATEMENT_STATES: readonly StatementState[] = ['issued', 'partially_paid', 'overdue'];

export function isOpenStatementState(state: StatementState): boolean {
  return OPEN_STATEMENT_STATES.includes(state);
}

/**
 * The trigger a payment fires on a statement whose balance (what the carrier owes) is
 * `balance_micros`, once `paid_after_micros` in all has been paid against it.
 */
export function paymentTrigger(balance_micros: bigint, paid_after_micros: bigint): 'pay_in_full' | 'pay_partially' {
  return paid_after_micros >= balance_micros ? 'pay_in_full' : 'pay_partially';
}

/** Statement numbers are consecutive integers shown with a prefix: 42 → "ST-000042". */
export function statementNumberText(number: bigint): string {
  if (number <= 0n) throw new RangeError(`statement numbers start at 1, got ${number}`);
  return `ST-${number.toString().padStart(6, '0')}`;
}

/** The numbers a run gives its `count` statements after `last`: consecutive, none skipped. */
export function allocateNumbers(last: bigint, count: number): bigint[] {
  if (last < 0n || !Number.isSafeInteger(count) || count < 0) throw new RangeError(`bad allocation: last ${last}, count ${count}`);
  return Array.from({ length: count }, (_, index) => last + BigInt(index + 1));
}
