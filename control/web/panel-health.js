/**
 * The health badges: the API, and the database, the switch and the agent as the API sees them.
 */
/* global fetch */
/** @import { Health } from './types.js' */
/** @import { Session } from './session.js' */
import { setBadge } from './dom.js';
import { describe } from './format.js';

/** @param {Session} session */
export async function refreshHealth(session) {
  try {
    const response = await fetch('/healthz', { signal: session.signal, cache: 'no-store' });
    /** @type {unknown} */
    const body = await response.json();
    const health = /** @type {Health} */ (body);
    setBadge('badge-api', health.status === 'ok' ? 'ok' : 'warn', health.status === 'ok' ? 'API ok' : 'API degraded', `GET /healthz: ${response.status}`);
    for (const part of /** @type {const} */ (['database', 'switch', 'agent'])) {
      setBadge(`badge-${part}`, health[part] ? 'ok' : 'bad', health[part] ? part : `${part} DOWN`);
    }
  } catch (error) {
    if (session.signal.aborted) return;
    setBadge('badge-api', 'bad', 'API UNREACHABLE', describe(error));
    for (const part of ['database', 'switch', 'agent']) setBadge(`badge-${part}`, 'idle', `${part} ?`, 'unknown while the API is unreachable');
    // A server that is shutting down may keep an open stream that will carry nothing more: drop
    // it, so that the stream badge tells the truth and the page reconnects when the API is back.
    session.dropStream();
  }
}
