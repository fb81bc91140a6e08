// The device clock against the server's: records carry clock_offset_ms (server minus device, at
// the last sync) so the server can place a visit in time even when the tablet's clock is wrong.

/**
 * Milliseconds since the epoch of the server's ISO 8601 time. Python writes up to six fractional
 * digits; some browsers parse only three, so the rest is cut before parsing.
 */
export function parseServerTime(text) {
  if (typeof text !== 'string') return NaN
  return Date.parse(text.replace(/(\.\d{3})\d+/, '$1'))
}

/**
 * Server minus device, in whole milliseconds, from the server's time and the device's times of
 * sending and receiving: the server's clock was read about halfway.
 */
export function clockOffset(serverTime, sentAt, receivedAt) {
  const server = parseServerTime(serverTime)
  if (!Number.isFinite(server)) return null
  return Math.round(server - (sentAt + receivedAt) / 2)
}
