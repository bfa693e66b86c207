/**
 * The NOC's live page: health, calls in progress, the last CDRs, carriers' balances and the market,
 * kept current by the API's Server-Sent Events stream and a few slow polls. This module wires the
 * others together: it signs in and out, and starts a session's polls and its stream.
 *
 * Every value from the API reaches the page through `textContent` (never as markup), and money stays
 * the decimal string the API sent: it is only trimmed of trailing zeros, by string operations.
 */
/* global console */
import { guarded } from './api.js';
import { forgetToken, initialToken, listenForSignIn, showDashboard, showSignIn } from './auth.js';
import { serverNow } from './clock.js';
import { byId, setBadge } from './dom.js';
import { refreshNames } from './names.js';
import { tickLiveCalls } from './panel-calls.js';
import { refreshOverdue } from './panel-overdue.js';
import { refreshHealth } from './panel-health.js';
import { Session } from './session.js';
import { followStream } from './sse.js';
import { state } from './state.js';
import { applyStreamFrame } from './stream-events.js';

const HEALTH_POLL_MS = 4_000;
/** Slow polls that repair whatever a dropped stream event left behind. */
const RESYNC_POLL_MS = 30_000;
const CARRIERS_POLL_MS = 15_000;
const CLOCK_TICK_MS = 1_000;

/** @param {Session} session */
async function startSession(session) {
  showDashboard();
  setBadge('badge-stream', 'idle', 'stream …');
  setBadge('badge-ledger', 'idle', 'ledger …');
  tick();
  void refreshHealth(session);
  session.every(HEALTH_POLL_MS, () => {
    void refreshHealth(session);
    if (!session.streamLive) session.refreshAll();
  });
  session.every(CLOCK_TICK_MS, () => tick());
  session.every(CARRIERS_POLL_MS, session.refreshCarriers);
  session.every(CARRIERS_POLL_MS, () => void refreshOverdue(session));
  session.every(RESYNC_POLL_MS, () => session.refreshAll());
  // Names first, so that the first rows already show carriers rather than ids. The stream's hello
  // then loads every list (and does again after each reconnection).
  await guarded(session, 'balances', () => refreshNames(session));
  if (session.signal.aborted) return;
  void refreshOverdue(session);
  await followStream(session, applyStreamFrame);
}

/** Once a second: the running durations and the clock. */
function tick() {
  const now = serverNow();
  tickLiveCalls(now);
  byId('clock').textContent = `${new Date(now).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** @param {string} token */
function signIn(token) {
  state.session?.end();
  const session = new Session(token, () => signOut('The API refused the token. Enter it again.'));
  state.session = session;
  startSession(session).catch((error) => console.error('the live page stopped', error));
}

/** @param {string} message */
function signOut(message) {
  state.session?.end();
  state.session = null;
  forgetToken();
  state.liveRows.clear();
  state.seenCdrs.clear();
  state.seenTrades.clear();
  state.namesSignature = '';
  showSignIn(message);
}

function main() {
  listenForSignIn(signIn);
  byId('sign-out').addEventListener('click', () => signOut('Signed out.'));
  initialToken().then(
    (token) => (token ? signIn(token) : showSignIn('')),
    () => showSignIn('The login link is used or expired: sign in with an operator token.'),
  );
}

// A module script runs once the document is parsed, so the elements are there.
main();
