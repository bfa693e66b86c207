/**
 * A command the exchange could not take now: no node leads it (an election is under way), the
 * leader could not be reached, or this node lost the lead while the command ran. `stored` says
 * whether it can have been stored: 'no' when it certainly was not (refused before or by the
 * fence), 'unknown' when the answer was lost on the way back. Either way the caller may send it
 * again: a submit with the same client_order_id answers with the order that stands.
 */
export class ExchangeUnavailableError extends Error {
  constructor(message: string, readonly stored: 'no' | 'unknown') {
    super(message);
    this.name = 'ExchangeUnavailableError';
  }
}

export const notLeader = () => new ExchangeUnavailableError('this node does not lead the exchange now', 'no');

/**
 * Order submits wait in memory for the exchange's next command; past this many waiting, a submit
 * is refused at once (stored: 'no', send it again) rather than the queue growing without end.
 */
export const MAX_WAITING_SUBMITS = 10_000;
export const tooManyWaiting = () => new ExchangeUnavailableError(`more than ${MAX_WAITING_SUBMITS} orders are waiting for the exchange`, 'no');
