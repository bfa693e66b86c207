/**
 * The server's time as this page knows it, so that call timers and the clock agree with the switch
 * rather than with this browser's clock.
 */

/** The server's clock minus this browser's, learnt from the stream's hello. */
let clockOffsetMs = 0;

/** @returns {number} the server's current time, in milliseconds since the epoch */
export const serverNow = () => Date.now() + clockOffsetMs;

/**
 * Learns the offset from a time the server sent just now.
 * @param {string} serverIso
 */
export function learnServerTime(serverIso) {
  clockOffsetMs = Date.parse(serverIso) - Date.now();
}
