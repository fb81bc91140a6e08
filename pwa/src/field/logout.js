// Signing out on a shared tablet: what would be lost, and deleting it only when asked to; and
// wiping a device an administrator revoked, without asking.
import Dexie from 'dexie'
import { DEVICE_REVOKED } from '../shared/api.js'

/** Visits not yet whole on the server, and visits still in progress. */
export async function unsyncedCounts(field) {
  const visits = await field.db.visits.filter((v) => v.state !== 'submitted').count()
  const drafts = await field.fieldDb.drafts.where('status').equals('open').count()
  return { visits, drafts }
}

/** Delete this specialist's databases on the device (outbox, tasks, drafts, device key). */
export async function wipeLocalData(field) {
  const names = [field.db.name, field.fieldDb.name]
  field.close()
  for (const name of names) await Dexie.delete(name)
}

/** The prefix of every IndexedDB database the field app makes (sync/db.js, store/fieldDb.js). */
export const DB_PREFIX = 'huifang-'

/**
 * A revoked device (lost or stolen): delete every database the app holds on this browser, for
 * every specialist who signed in on it: drafts, the outbox with its unsynced visits, photos and
 * signatures, cached tasks and questionnaires, the device keys. The open context is closed first
 * (an explicit Dexie close, so nothing reopens and recreates a database behind the deletion).
 * Returns the names deleted.
 */
export async function wipeDevice(field = null) {
  const names = new Set()
  if (field) {
    names.add(field.db.name)
    names.add(field.fieldDb.name)
    // A database still opening would finish opening after close() and then hold the deletion up;
    // let it open, then close both for good.
    await Promise.allSettled([field.db.open(), field.fieldDb.open()])
    field.close()
  }
  try {
    for (const name of await Dexie.getDatabaseNames())
      if (name.startsWith(DB_PREFIX)) names.add(name)
  } catch {
    // No way to list databases here: the signed-in specialist's, named above, still go.
  }
  for (const name of names) await Dexie.delete(name)
  return [...names]
}

/**
 * Wipe the device when the server answers `device_revoked` (a sync, a token refresh or a sign-in):
 * the API client ends the session with that reason, and this takes the field context out of use,
 * deletes everything, and tells the login page (session.state.localDataWiped). Unsynced visits
 * are lost by design: a revoked device is a lost or stolen one. Returns the unsubscribe function.
 *
 * @param {object} session   createSession('field')
 * @param {object} fieldRef  the shallow ref provideField() returns (its value is closed and nulled)
 */
export function wipeOnRevocation(session, fieldRef) {
  let running = null
  return session.api.on('logged-out', ({ reason }) => {
    if (reason !== DEVICE_REVOKED || running) return
    const field = fieldRef.value
    fieldRef.value = null
    running = wipeDevice(field)
      .then(() => {
        session.state.localDataWiped = true
      })
      .catch((err) => console.error('wiping the revoked device failed', err))
      .finally(() => {
        running = null
      })
  })
}
