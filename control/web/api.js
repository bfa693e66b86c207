/**
 * The API. Every /v1 request carries the operator's bearer token; a 401 signs the page out.
 */
/* global fetch, console */
/** @import { Session } from './session.js' */
import { setPanelError } from './dom.js';

/** The API refused the token: the page goes back to the sign-in form. */
export class Unauthorized extends Error {}

/**
 * @template T
 * @param {Session} session
 * @param {string} path
 * @returns {Promise<T>}
 */
export async function api(session, path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${session.token}`, accept: 'application/json' }, signal: session.signal, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized('the API refused the token');
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  /** @type {unknown} */
  const body = await response.json();
  return /** @type {T} */ (body);
}

/**
 * Runs a refresh; a failure marks its panel as stale instead of breaking the page.
 * @param {Session} session
 * @param {string} panel
 * @param {() => Promise<void>} refresh
 */
export async function guarded(session, panel, refresh) {
  try {
    await refresh();
    setPanelError(panel, null);
  } catch (error) {
    if (session.signal.aborted) return;
    if (error instanceof Unauthorized) {
      session.tokenRefused();
      return;
    }
    console.warn(`refreshing ${panel} failed`, error);
    setPanelError(panel, error);
  }
}

/**
 * At most one run at a time; requests made meanwhile collapse into one more run afterwards, so an
 * older response never overwrites a newer one.
 * @param {() => Promise<void>} refresh
 * @returns {() => Promise<void>}
 */
export function serialised(refresh) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await refresh();
      } while (again);
    } finally {
      running = false;
    }
  };
}
