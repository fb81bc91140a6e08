// The field app's own IndexedDB (beside the sync client's): visits in progress, their media, the
// device key and local settings. One database per signed-in specialist, like the sync database.
import Dexie from 'dexie'

export function fieldDbName(userId) {
  return `huifang-field-u${userId}`
}

/**
 * drafts      {id (the visit's UUID), taskId, status: open | finished, updatedAt, sealed}
 *             sealed = the draft itself, AES-GCM encrypted (see store/crypto.js)
 * draftBlobs  {id, draftId, sealed}: signature strokes and renders, photos, each encrypted
 * keys        {name, key}: the non-extractable device key (a CryptoKey)
 * settings    {key, value}: PIN verifier, idle minutes
 */
export function openFieldDb(userId, { name = fieldDbName(userId) } = {}) {
  const db = new Dexie(name)
  db.version(1).stores({
    drafts: 'id, taskId, status, updatedAt',
    draftBlobs: 'id, draftId',
    keys: 'name',
    settings: 'key',
  })
  return db
}

export async function getSetting(db, key, fallback = null) {
  const row = await db.settings.get(key)
  return row === undefined ? fallback : row.value
}

export function setSetting(db, key, value) {
  return db.settings.put({ key, value })
}
