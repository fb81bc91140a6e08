// Signing out on a shared tablet: what would be lost, and deleting it only when asked to.
import Dexie from 'dexie'

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
