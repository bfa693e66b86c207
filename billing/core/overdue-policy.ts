/**
 * The overdue policy, without storage: a list of states a buyer enters when its oldest unpaid
 * statement is so many days past due, in the manner of Kill Bill's overdue states. Each state may
 * block buying (new calls refused at setup, new buy orders refused) and may draw on the buyer's
 * collateral for what is past due. A buyer with nothing past due is in good standing (no state):
 * paying the balance, or a credit bringing it to zero, clears any state at once.
 */
import { daysPastDue } from './position.ts';

export interface OverdueState {
  /** 1 to 64 characters of letters, digits and `_`. */
  readonly name: string;
  /** Entered from this many days past due on (>= 1). */
  readonly days_past_due: number;
  readonly block_buying: boolean;
  readonly draw_collateral: boolean;
  /** What the notice tells the carrier (1 to 500 characters). */
  readonly message: string;
}

/** States in increasing days_past_due. */
export type OverduePolicy = readonly OverdueState[];

/** The exchange's policy until an operator changes it; db/migrations/023_overdue.sql seeds the same. */
export const DEFAULT_OVERDUE_POLICY: OverduePolicy = [
  { name: 'notice', days_past_due: 1, block_buying: false, draw_collateral: false, message: 'Your account is past due. Please pay the statements listed.' },
  { name: 'blocked', days_past_due: 7, block_buying: true, draw_collateral: false, message: 'Buying is blocked: your account is 7 days past due.' },
  { name: 'collateral_drawn', days_past_due: 10, block_buying: true, draw_collateral: true, message: 'Your deposit or letter of credit is being drawn for the past-due amount.' },
];

export const MAX_OVERDUE_STATES = 20;

/** Checks a policy read from JSON; the reason names what is wrong. */
export function validatePolicy(input: unknown): { ok: true; policy: OverduePolicy } | { ok: false; reason: string } {
  if (!Array.isArray(input) || input.length > MAX_OVERDUE_STATES) return { ok: false, reason: `states must be a list of at most ${MAX_OVERDUE_STATES}` };
  const states: OverdueState[] = [];
  for (const raw of input as unknown[]) {
    if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'each state must be an object' };
    const state = raw as Record<string, unknown>;
    const { name, days_past_due, block_buying, draw_collateral, message } = state;
    if (typeof name !== 'string' || !/^\w{1,64}$/.test(name)) return { ok: false, reason: 'a state name has 1 to 64 letters, digits or _' };
    if (typeof days_past_due !== 'number' || !Number.isInteger(days_past_due) || days_past_due < 1 || days_past_due > 3650) {
      return { ok: false, reason: `state ${name}: days_past_due must be a whole number from 1 to 3650` };
    }
    if (typeof block_buying !== 'boolean' || typeof draw_collateral !== 'boolean') return { ok: false, reason: `state ${name}: block_buying and draw_collateral are true or false` };
    if (typeof message !== 'string' || message.length < 1 || message.length > 500) return { ok: false, reason: `state ${name}: message has 1 to 500 characters` };
    states.push({ name, days_past_due, block_buying, draw_collateral, message });
  }
  for (let index = 1; index < states.length; index += 1) {
    if (states[index]!.days_past_due <= states[index - 1]!.days_past_due) return { ok: false, reason: 'states must be in strictly increasing days_past_due' };
  }
  if (new Set(states.map((state) => state.name)).size !== states.length) return { ok: false, reason: 'state names must differ' };
  return { ok: true, policy: states };
}

/** An open statement a carrier owes: what is left of it and when it was due. */
export interface OwedStatement {
  readonly statement_id: string;
  readonly currency: string;
  /** What the carrier still owes on it (> 0). */
  readonly outstanding_micros: bigint;
  /** The local day it was due (YYYY-MM-DD); past due from the next day. */
  readonly due_date: string;
}

export interface OverdueStanding {
  /** Days past due of the oldest statement still owed (0 when nothing is past due). */
  readonly days_past_due: number;
  /** What is past due, per currency (currencies with nothing past due left out). */
  readonly past_due_micros: ReadonlyMap<string, bigint>;
  /** The state the policy puts the carrier in; null in good standing. */
  readonly state: OverdueState | null;
}

/** Where a carrier stands on `today` (a local day in its time zone). */
export function overdueStanding(policy: OverduePolicy, owed: readonly OwedStatement[], today: string): OverdueStanding {
  let days = 0;
  const past_due = new Map<string, bigint>();
  for (const statement of owed) {
    if (statement.outstanding_micros <= 0n) continue;
    const late = daysPastDue(statement.due_date, today);
    if (late <= 0) continue;
    days = Math.max(days, late);
    past_due.set(statement.currency, (past_due.get(statement.currency) ?? 0n) + statement.outstanding_micros);
  }
  let state: OverdueState | null = null;
  for (const candidate of policy) if (days >= candidate.days_past_due) state = candidate;
  return { days_past_due: days, past_due_micros: past_due, state };
}

/** Collateral that can be drawn now. */
export interface DrawableCollateral {
  readonly collateral_id: string;
  readonly kind: 'deposit' | 'letter_of_credit';
  readonly currency: string;
  /** What is left to draw: its amount less what was drawn and what draws presented still ask. */
  readonly available_micros: bigint;
  /** Null: does not expire. An expired letter of credit cannot be drawn. */
  readonly valid_until: Date | null;
  /** Statements a draw on it was refused for: not presented again. */
  readonly refused_for: ReadonlySet<string>;
}

export interface PlannedDraw {
  readonly collateral_id: string;
  readonly kind: 'deposit' | 'letter_of_credit';
  readonly statement_id: string;
  readonly currency: string;
  readonly amount_micros: bigint;
}

/**
 * The draws that cover what is past due: the oldest statement first, deposits before letters of
 * credit (the exchange already holds a deposit), and of letters of credit the one expiring first.
 * `pending_micros` is what draws already presented ask for each statement: never drawn twice.
 */
export function planDraws(
  past_due: readonly OwedStatement[],
  pending_micros: ReadonlyMap<string, bigint>,
  collateral: readonly DrawableCollateral[],
  now: Date,
): PlannedDraw[] {
  const left = new Map(collateral.map((one) => [one.collateral_id, one.available_micros]));
  const usable = collateral
    .filter((one) => one.available_micros > 0n && (one.valid_until === null || one.valid_until.getTime() > now.getTime()))
    .sort((a, b) => (a.kind === b.kind ? (a.valid_until?.getTime() ?? Infinity) - (b.valid_until?.getTime() ?? Infinity) : a.kind === 'deposit' ? -1 : 1));
  const draws: PlannedDraw[] = [];
  for (const statement of [...past_due].sort((a, b) => a.due_date.localeCompare(b.due_date))) {
    let wanted = statement.outstanding_micros - (pending_micros.get(statement.statement_id) ?? 0n);
    for (const source of usable) {
      if (wanted <= 0n) break;
      if (source.currency !== statement.currency || source.refused_for.has(statement.statement_id)) continue;
      const amount_micros = [wanted, left.get(source.collateral_id)!].reduce((a, b) => (a < b ? a : b));
      if (amount_micros <= 0n) continue;
      left.set(source.collateral_id, left.get(source.collateral_id)! - amount_micros);
      wanted -= amount_micros;
      draws.push({ collateral_id: source.collateral_id, kind: source.kind, statement_id: statement.statement_id, currency: statement.currency, amount_micros });
    }
  }
  return draws;
}

/** The local day (YYYY-MM-DD) an instant falls on in an IANA time zone. */
export function localDay(at: Date, time_zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: time_zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
