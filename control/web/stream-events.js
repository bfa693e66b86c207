/**
 * What each event of the live stream does to the page.
 */
/* global console */
/** @import { LiveCall, StreamFrame } from './types.js' */
/** @import { Session } from './session.js' */
import { learnServerTime } from './clock.js';
import { setBadge } from './dom.js';
import { applyCallEvent } from './panel-calls.js';

/**
 * @param {Session} session
 * @param {StreamFrame} frame
 */
export function applyStreamFrame(session, frame) {
  /** @type {unknown} */
  let data;
  try {
    data = JSON.parse(frame.data);
  } catch (error) {
    // One bad frame is skipped; the slow resynchronising poll repairs whatever it carried.
    console.warn(`skipped a stream frame (${frame.event}) that is not JSON`, error);
    return;
  }
  switch (frame.event) {
    case 'hello': {
      const at = /** @type {{ at?: string }} */ (data).at;
      if (at) learnServerTime(at);
      setBadge('badge-stream', 'ok', 'stream live', 'GET /v1/stream connected');
      session.streamLive = true;
      // Anything may have happened before the stream (re)connected: read it all again.
      session.refreshAll();
      break;
    }
    case 'call':
      applyCallEvent(/** @type {LiveCall} */ (data));
      break;
    case 'cdr':
      session.refreshCdrsSoon();
      session.refreshBalancesSoon();
      break;
    case 'market':
      session.refreshTradesSoon();
      break;
    default:
      break;
  }
}
