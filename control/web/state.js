/**
 * What the page knows: the names behind the ids, the calls in progress, and the signed-in session.
 * Stream events change what is here at once; the tables are drawn from it at most once a frame.
 */
/** @import { Carrier, Destination, LiveRow } from './types.js' */
/** @import { Session } from './session.js' */

export const state = {
  /** @type {Map<string, Carrier>} */
  carriers: new Map(),
  /** @type {Map<string, Destination>} */
  destinations: new Map(),
  /** Every call in progress by Call-ID, with its row while the row is on show (one page of them). */
  /** @type {Map<string, LiveRow>} */
  liveRows: new Map(),
  /** @type {Set<string>} */
  endedCalls: new Set(),
  /** @type {Set<string>} */
  seenCdrs: new Set(),
  /** @type {Set<string>} */
  seenTrades: new Set(),
  /** The names last shown, to tell whether a refresh of the names changed anything. */
  namesSignature: '',
  /** @type {Session | null} */
  session: null,
};

/**
 * A carrier's name, or the start of its id while the carrier list catches up.
 * @param {string | null} id
 */
export function carrierName(id) {
  if (id === null) return '—';
  const carrier = state.carriers.get(id);
  if (carrier) return carrier.name;
  state.session?.refreshCarriersSoon();
  return id.slice(0, 8);
}

/** @param {string} id */
export function destinationName(id) {
  const destination = state.destinations.get(id);
  if (destination) return destination.name;
  state.session?.refreshCarriersSoon();
  return id.slice(0, 8);
}
