// SHA-256 in hexadecimal with WebCrypto, for records (their canonical form) and media (their bytes).
import { canonicalString } from './canonical.js'

function subtle() {
  const s = globalThis.crypto?.subtle
  // WebCrypto exists only in secure contexts (https, localhost). The field app needs one anyway:
  // its service worker does too.
  if (!s) throw new Error('SHA-256 needs a secure context (https): crypto.subtle is unavailable')
  return s
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('')
}

/** SHA-256 hex of a string (as UTF-8), an ArrayBuffer, a typed array or a Blob. */
export async function sha256Hex(data) {
  let bytes = data
  if (typeof data === 'string') bytes = new TextEncoder().encode(data)
  else if (typeof data?.arrayBuffer === 'function') bytes = await data.arrayBuffer()
  return hex(await subtle().digest('SHA-256', bytes))
}

/** The hash a record carries: SHA-256 of its canonical form, the `hash` member left out. */
export function recordHash(record) {
  return sha256Hex(canonicalString(record))
}
