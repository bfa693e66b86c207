/**
 * The operator token and the sign-in form: the token comes from the address's `#token=…` or from
 * the form, and is kept for this browser tab only.
 */
/* global sessionStorage, history, location, fetch */
import { byId } from './dom.js';

/** Where the operator token is kept: per browser tab, gone when the tab closes. */
const TOKEN_STORAGE_KEY = 'minutex.operatorToken';

/**
 * Takes `#token=…` out of the address (so it is neither bookmarked nor shared by accident) and
 * keeps it for this tab.
 * @returns {string | null}
 */
function takeTokenFromAddress() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
  if (token) sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  return token;
}

/**
 * Exchanges the one-time code of a login link (`#login=…`, printed at start) for a token, once.
 * @param {string} code
 * @returns {Promise<string>}
 */
async function redeemLoginCode(code) {
  const response = await fetch('/login/redeem', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  if (!response.ok) throw new Error('the login link is unknown, used or expired');
  /** @type {unknown} */
  const body = await response.json();
  const token = /** @type {{ token: string }} */ (body).token;
  sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  return token;
}

/**
 * The token this tab was opened with (a login link's code exchanged, or `#token=…`), or the one it kept, if any.
 * @returns {Promise<string | null>}
 */
export async function initialToken() {
  const code = new URLSearchParams(location.hash.replace(/^#/, '')).get('login');
  if (code) {
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return redeemLoginCode(code);
  }
  return takeTokenFromAddress() ?? sessionStorage.getItem(TOKEN_STORAGE_KEY);
}

/** Forgets the token this tab kept. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_STORAGE_KEY);
}

/**
 * Calls `signIn` with each token typed into the form, after keeping it for this tab.
 * @param {(token: string) => void} signIn
 */
export function listenForSignIn(signIn) {
  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ (byId('token-input'));
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
    signIn(token);
  });
}

export function showDashboard() {
  byId('sign-in').hidden = true;
  byId('dashboard').hidden = false;
  byId('health-badges').hidden = false;
  byId('topbar-right').hidden = false;
}

/** @param {string} message */
export function showSignIn(message) {
  byId('dashboard').hidden = true;
  byId('health-badges').hidden = true;
  byId('topbar-right').hidden = true;
  byId('sign-in').hidden = false;
  byId('sign-in-message').textContent = message;
  byId('token-input').focus();
}
