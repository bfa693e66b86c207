/**
 * Carriers and destinations: names for the ids in every other table.
 */
/** @import { Carrier, Destination } from './types.js' */
/** @import { Session } from './session.js' */
import { api } from './api.js';
import { renderAllLiveCalls } from './panel-calls.js';
import { state } from './state.js';

/** @param {Session} session */
export async function refreshNames(session) {
  const [carrierList, destinationList] = await Promise.all([
    /** @type {Promise<{ carriers: Carrier[] }>} */ (api(session, '/v1/carriers')),
    /** @type {Promise<{ destinations: Destination[] }>} */ (api(session, '/v1/destinations')),
  ]);
  const carriers = carrierList.carriers;
  const destinations = destinationList.destinations;
  const signature = JSON.stringify([carriers, destinations.map((destination) => [destination.id, destination.name])]);
  const firstLoad = state.namesSignature === '';
  const changed = signature !== state.namesSignature;
  state.namesSignature = signature;
  state.carriers = new Map(carriers.map((carrier) => [carrier.id, carrier]));
  state.destinations = new Map(destinations.map((destination) => [destination.id, destination]));
  if (changed && !firstLoad) {
    // The tables already drawn show ids or old names: draw them again.
    renderAllLiveCalls();
    session.refreshTrades();
    session.refreshCdrs();
    session.refreshBalances();
  }
}
