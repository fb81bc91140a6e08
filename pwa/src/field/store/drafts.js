// Visits in progress, kept the moment anything is given: every answer, signature and photo is in
// IndexedDB before the screen moves on, so a reload, a crash or a flat battery resumes the visit
// where it was. Drafts and their media are encrypted at rest with the device key.
import { uuid4 } from '../../shared/auth.js'
import { decryptBlob, decryptJson, deviceKey, encryptBlob, encryptJson } from './crypto.js'

/**
 * @param {Dexie} db  openFieldDb(userId)
 * @param {object} [options]  {key}: a CryptoKey to use instead of the stored device key (tests)
 */
export function createDraftStore(db, { key = null, now = Date.now } = {}) {
  let keyPromise = key ? Promise.resolve(key) : null
  const getKey = () => (keyPromise ??= deviceKey(db.keys))
  let queue = Promise.resolve()

  /** Writes land in the order they were asked for, even when one is slow to encrypt. */
  function enqueue(fn) {
    const run = queue.then(fn)
    queue = run.catch(() => {})
    return run
  }

  async function unseal(row) {
    if (!row) return null
    return decryptJson(await getKey(), row.sealed)
  }

  return {
    async get(id) {
      return unseal(await db.drafts.get(id))
    },
    /** The open draft of a task, the newest if (by some accident) there are several. */
    async openForTask(taskId) {
      const rows = await db.drafts.where('taskId').equals(taskId).toArray()
      const open = rows.filter((r) => r.status === 'open').sort((a, b) => b.updatedAt - a.updatedAt)
      return unseal(open[0])
    },
    /** {id, taskId, status, updatedAt} of every draft: enough for badges, nothing decrypted. */
    async list() {
      return (await db.drafts.toArray()).map(({ id, taskId, status, updatedAt }) => ({
        id,
        taskId,
        status,
        updatedAt,
      }))
    },
    save(draft) {
      const copy = JSON.parse(JSON.stringify(draft))
      return enqueue(async () => {
        const sealed = await encryptJson(await getKey(), copy)
        await db.drafts.put({
          id: copy.id,
          taskId: copy.taskId,
          status: copy.status,
          updatedAt: now(),
          sealed,
        })
      })
    },
    /** Keep a blob for a draft; resolves with its id once it is stored. */
    putBlob(draftId, blob) {
      return enqueue(async () => {
        const id = uuid4()
        await db.draftBlobs.put({ id, draftId, sealed: await encryptBlob(await getKey(), blob) })
        return id
      })
    },
    async getBlob(id) {
      const row = await db.draftBlobs.get(id)
      return row ? decryptBlob(await getKey(), row.sealed) : null
    },
    deleteBlob(id) {
      return enqueue(() => db.draftBlobs.delete(id))
    },
    /** A draft and all its media, gone (after its visit is safely in the outbox). */
    remove(id) {
      return enqueue(() =>
        db.transaction('rw', db.drafts, db.draftBlobs, async () => {
          await db.draftBlobs.where('draftId').equals(id).delete()
          await db.drafts.delete(id)
        }),
      )
    },
    /** Resolves when every write asked for so far is done. */
    flush() {
      return enqueue(() => {})
    },
  }
}
