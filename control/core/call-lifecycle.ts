/**
 * The lifecycle of a call, changed only by `nextCallState`.
 *
 *   offered ──▶ routing ──▶ ringing ──▶ answered ──▶ ended
 *      │           │           │                      ▲
 *      └───────────┴───────────┴──── (rejected / failed / cancelled) ┘
 *
 * offered: the switch asked for a route; routing: sellers are being tried; ringing: a seller sent
 * 180/183; answered: a seller sent 200; ended: a BYE, a final failure or a reject closed it.
 * A move not drawn here is refused (returns undefined): repeated or late events are then ignored
 * rather than rewinding a call.
 */
export type CallState = 'offered' | 'routing' | 'ringing' | 'answered' | 'ended';

export type CallTrigger = 'routed' | 'rejected' | 'ringing' | 'answered' | 'failed' | 'hung_up';

const TRANSITIONS: Readonly<Record<CallState, Partial<Record<CallTrigger, CallState>>>> = {
  offered: { routed: 'routing', rejected: 'ended' },
  routing: { ringing: 'ringing', answered: 'answered', failed: 'ended' },
  ringing: { ringing: 'ringing', answered: 'answered', failed: 'ended' },
  answered: { hung_up: 'ended' },
  ended: {},
};

export function nextCallState(state: CallState, trigger: CallTrigger): CallState | undefined {
  return TRANSITIONS[state][trigger];
}
