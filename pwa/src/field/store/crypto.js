// Encryption at rest for what the field app keeps of a visit in progress: AES-GCM (WebCrypto) with
// a key made on this device, non-extractable, kept in IndexedDB. Script on the page can use the key
// but never read it out, and a copy of the browser's files without the browser's key store holds
// only ciphertext. Each write has a fresh 96-bit IV.

const ALGORITHM = { name: 'AES-GCM', length: 256 }

function subtle() {
  const s = globalThis.crypto?.subtle
  if (!s) throw new Error('Encryption needs a secure context (https): crypto.subtle is unavailable')
  return s
}

/** A new device key: AES-GCM 256, non-extractable, for encrypt and decrypt only. */
export function makeKey() {
  return subtle().generateKey(ALGORITHM, false, ['encrypt', 'decrypt'])
}

/**
 * The key stored under `name` in the Dexie table `keys` ({name, key}), made on first use. Two tabs
 * opening at once agree on one key: the first write wins and the other reads it back.
 */
export async function deviceKey(table, name = 'data') {
  const found = await table.get(name)
  if (found?.key) return found.key
  const key = await makeKey()
  await table.db.transaction('rw', table, async () => {
    if (!(await table.get(name))) await table.put({ name, key })
  })
  return (await table.get(name)).key
}

/** {iv, data} from bytes (ArrayBuffer or a typed array). */
export async function encryptBytes(key, bytes) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
  const data = await subtle().encrypt({ name: 'AES-GCM', iv }, key, bytes)
  return { iv, data }
}

export async function decryptBytes(key, sealed) {
  return subtle().decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, sealed.data)
}

export function encryptJson(key, value) {
  return encryptBytes(key, new TextEncoder().encode(JSON.stringify(value)))
}

export async function decryptJson(key, sealed) {
  return JSON.parse(new TextDecoder().decode(await decryptBytes(key, sealed)))
}

/** A Blob sealed with its type kept beside it (the type is no secret: image/jpeg, image/png…). */
export async function encryptBlob(key, blob) {
  const sealed = await encryptBytes(key, await blob.arrayBuffer())
  return { ...sealed, type: blob.type }
}

export async function decryptBlob(key, sealed) {
  return new Blob([await decryptBytes(key, sealed)], { type: sealed.type })
}
