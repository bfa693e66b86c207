/**
 * The live stream: Server-Sent Events read with fetch, so that the bearer header travels with it,
 * kept open for as long as the session lasts and reconnected with exponential backoff.
 */
/* global fetch, console, TextDecoder, AbortController, setTimeout, clearTimeout */
/** @import { StreamFrame } from './types.js' */
/** @import { Session } from './session.js' */
import { Unauthorized } from './api.js';
import { setBadge } from './dom.js';

const STREAM_RETRY_FIRST_MS = 1_000;
const STREAM_RETRY_MAX_MS = 30_000;
/** The server writes a keep-alive every 15 s: silence for longer than this means a dead connection. */
const STREAM_SILENCE_MAX_MS = 45_000;
/** A frame larger than this is not one the API sends: the connection is dropped rather than buffered. */
const STREAM_BUFFER_MAX_CHARS = 1_048_576;

/**
 * Splits a buffer into complete SSE frames and the unfinished rest (WHATWG HTML, "Server-sent
 * events", interpreting an event stream): lines end in CR LF, LF or CR; a blank line ends a frame;
 * lines starting with a colon are comments (the server's keep-alives).
 * @param {string} buffer
 * @returns {{ frames: StreamFrame[], rest: string }}
 */
function splitStreamFrames(buffer) {
  // A CR at the very end may be the first half of a CR LF still in flight: wait for the next chunk.
  const complete = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
  const held = buffer.endsWith('\r') ? '\r' : '';
  const blocks = complete.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = (blocks.pop() ?? '') + held;
  const frames = [];
  for (const block of blocks) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return { frames, rest };
}

/**
 * One connection to the stream, until it ends, fails or stays silent too long.
 * @param {Session} session
 * @param {(session: Session, frame: StreamFrame) => void} applyFrame
 * @param {() => void} onHello
 */
async function readStream(session, applyFrame, onHello) {
  const connection = new AbortController();
  const abortConnection = () => connection.abort();
  session.dropStream = abortConnection;
  session.signal.addEventListener('abort', abortConnection);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let silence;
  const watch = () => {
    clearTimeout(silence);
    silence = setTimeout(abortConnection, STREAM_SILENCE_MAX_MS);
  };
  try {
    watch();
    const response = await fetch('/v1/stream', { headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' }, signal: connection.signal, cache: 'no-store' });
    if (response.status === 401) throw new Unauthorized('the API refused the token');
    if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      watch();
      const split = splitStreamFrames(buffer + decoder.decode(value, { stream: true }));
      if (split.rest.length > STREAM_BUFFER_MAX_CHARS) throw new Error('a stream frame exceeded the buffer limit');
      buffer = split.rest;
      for (const frame of split.frames) {
        if (frame.event === 'hello') onHello();
        applyFrame(session, frame);
      }
    }
  } finally {
    clearTimeout(silence);
    session.signal.removeEventListener('abort', abortConnection);
    session.dropStream = () => {};
  }
}

/**
 * Keeps the stream open for as long as the session lasts, reconnecting with exponential backoff.
 * @param {Session} session
 * @param {(session: Session, frame: StreamFrame) => void} applyFrame what each frame does to the page
 */
export async function followStream(session, applyFrame) {
  let failures = 0;
  while (!session.signal.aborted) {
    setBadge('badge-stream', 'warn', 'stream connecting…', 'GET /v1/stream');
    try {
      await readStream(session, applyFrame, () => {
        failures = 0;
      });
    } catch (error) {
      if (error instanceof Unauthorized) {
        session.tokenRefused();
        return;
      }
      if (!session.signal.aborted) console.warn('the live stream dropped', error);
    }
    if (session.signal.aborted) return;
    session.streamLive = false;
    // The lists cannot wait for the stream: read them now, and the health poll keeps reading them.
    session.refreshAll();
    failures += 1;
    const delayMs = Math.min(STREAM_RETRY_MAX_MS, STREAM_RETRY_FIRST_MS * 2 ** (failures - 1));
    setBadge('badge-stream', 'bad', `STREAM DOWN · retry in ${Math.round(delayMs / 1000)} s`, 'GET /v1/stream failed; the lists are polled meanwhile');
    await session.sleep(delayMs);
  }
}
