/**
 * The lifecycle of a credit reservation, changed only by `nextReservationState`.
 *
 *              extend         extend
 *   pending ──────────▶ extended ◀──┘
 *      │                   │
 *      ├── post ───────────┼──▶ posted    (the call's charge went to the ledger)
 *      ├── void ───────────┼──▶ voided    (the call cost nothing: never answered)
 *      └── expire ─────────┴──▶ expired   (nobody closed it: reconciliation released it)
 *
 * pending: credit held for the first chunk of a call being set up; extended: at least one more
 * chunk was added while the call was up. Both are open: their amount counts in the buyer's
 * reserved credit. posted, voided and expired are terminal: the amount no longer counts as
 * reserved (a posted one is spent instead, through the ledger). A move not drawn here is refused
 * (returns undefined), so a late or replayed event can never reopen a closed reservation.
 */
export type ReservationState = 'pending' | 'extended' | 'posted' | 'voided' | 'expired';

export type ReservationTrigger = 'extend' | 'post' | 'void' | 'expire';

/** The states whose amount counts in `credit_accounts.reserved_micros`. */
export const OPEN_RESERVATION_STATES: readonly ReservationState[] = ['pending', 'extended'];

const TRANSITIONS: Readonly<Record<ReservationState, Partial<Record<ReservationTrigger, ReservationState>>>> = {
  pending: { extend: 'extended', post: 'posted', void: 'voided', expire: 'expired' },
  extended: { extend: 'extended', post: 'posted', void: 'voided', expire: 'expired' },
  posted: {},
  voided: {},
  expired: {},
};

export function nextReservationState(state: ReservationState, trigger: ReservationTrigger): ReservationState | undefined {
  return TRANSITIONS[state][trigger];
}

export function isOpenReservationState(state: ReservationState): boolean {
  return OPEN_RESERVATION_STATES.includes(state);
}
