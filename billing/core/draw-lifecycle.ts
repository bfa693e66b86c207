/**
 * The lifecycle of a draw on collateral, changed only by `nextDrawState`.
 *
 *               present (letter of credit)        honour
 *   (new) ──────────────────────────────▶ presented ───────▶ honoured
 *     │                                      │
 *     │ draw a deposit (the exchange holds   │ refuse (the bank, or the node at once)
 *     │ the money: honoured at once)         ▼
 *     └────────────────────────────────▶ honoured    refused
 *
 * honoured and refused are terminal: a late or replayed answer from the bank finds the draw
 * decided and changes nothing. Only an honoured draw is posted to the ledger.
 */
export type DrawState = 'presented' | 'honoured' | 'refused';

export type DrawTrigger = 'honour' | 'refuse';

const TRANSITIONS: Readonly<Record<DrawState, Partial<Record<DrawTrigger, DrawState>>>> = {
  presented: { honour: 'honoured', refuse: 'refused' },
  honoured: {},
  refused: {},
};

export function nextDrawState(state: DrawState, trigger: DrawTrigger): DrawState | undefined {
  return TRANSITIONS[state][trigger];
}

/** A new draw's first state: a deposit is honoured at once, a letter of credit presented to its bank. */
export function firstDrawState(kind: 'deposit' | 'letter_of_credit'): DrawState {
  return kind === 'deposit' ? 'honoured' : 'presented';
}
