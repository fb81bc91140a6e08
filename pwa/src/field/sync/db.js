// The outbox and what pull brings, in IndexedDB (Dexie): everything the field app must not lose
// on a reload, a crash or a closed tab. One database per signed-in specialist, so a shared tablet
// never pushes one person's visits with another's token nor mixes their task lists.
import Dexie from 'dexie'

/**
 * visits     one row per finished visit: {uuid, taskId, record, hash, status, state, problems,
 *            mediaProblems, missing, attempts, nextAttemptAt, createdAt, updatedAt, submittedAt}
 *            status: pending | accepted | duplicate | conflict | rejected (the server's last word)
 *            state:  null | awaiting_media | submitted
 * media      each blob's upload: {sha256, size, mime, uploadedOffset, complete, problem}
 * blobs      the bytes, content-addressed: {sha256, blob}. Apart from `media` so that recording
 *            an offset never rewrites (or, in Dexie's update, clones) a 20 MB photo.
 * meta       {key, value}: cursor, clockOffsetMs, lastSyncAt
 * tasks      {id, seq, data} as the last pull said
 * questionnaireVersions  {id, seq, data}
 * otherChanges  changes of kinds this app does not know yet, kept rather than skipped past
 */
export const VISIT_STATUSES = ['pending', 'accepted', 'duplicate', 'conflict', 'rejected']

export function syncDbName(userId) {
  return `huifang-sync-u${userId}`
}

export function openSyncDb(userId, { name = syncDbName(userId) } = {}) {
  const db = new Dexie(name)
  db.version(1).stores({
    visits: 'uuid, status, state, taskId, createdAt',
    media: 'sha256',
    blobs: 'sha256',
    meta: 'key',
    tasks: 'id',
    questionnaireVersions: 'id',
    otherChanges: 'seq, kind',
  })
  return db
}

export async function getMeta(db, key, fallback = null) {
  const row = await db.meta.get(key)
  return row === undefined ? fallback : row.value
}

export function setMeta(db, key, value) {
  return db.meta.put({ key, value })
}

export class OutboxError extends Error {
  constructor(code, message, messageEn) {
    super(message)
    this.name = 'OutboxError'
    this.code = code
    this.messageEn = messageEn
  }
}

/**
 * Put a finished visit in the outbox with its media, in one transaction. The same record again is a
 * no-op. A record still waiting to be sent (or rejected by the server, which then stored nothing)
 * may be replaced by a corrected one under the same UUID; once the server holds a version, another
 * version would only become a conflict, so it is refused here.
 *
 * @param {object} record  a record with its hash (see record.js)
 * @param {Array<{sha256, blob, size, mime}>} media  the bytes of every media reference
 */
export async function enqueueVisit(db, record, media = [], { now = Date.now } = {}) {
  const blobs = new Map(media.map((m) => [m.sha256, m]))
  for (const ref of record.media ?? []) {
    if (!blobs.has(ref.sha256))
      throw new OutboxError(
        'media_missing_on_device',
        `缺少文件 ${ref.sha256.slice(0, 12)}…，无法保存这次走访`,
        `The bytes of ${ref.sha256.slice(0, 12)}… are missing; the visit cannot be saved`,
      )
  }
  return db.transaction('rw', db.visits, db.media, db.blobs, async () => {
    const existing = await db.visits.get(record.uuid)
    if (existing && existing.hash === record.hash) return existing
    if (existing && !['pending', 'rejected'].includes(existing.status))
      throw new OutboxError(
        'visit_already_sent',
        '这次走访已提交，不能再修改',
        'This visit has already been sent and cannot be changed',
      )
    for (const m of blobs.values()) {
      const have = await db.media.get(m.sha256)
      if (have) continue
      await db.blobs.put({ sha256: m.sha256, blob: m.blob })
      await db.media.put({
        sha256: m.sha256,
        size: m.size,
        mime: m.mime,
        uploadedOffset: 0,
        complete: false,
        problem: null,
      })
    }
    const at = now()
    const row = {
      uuid: record.uuid,
      taskId: record.task_id,
      record,
      hash: record.hash,
      status: 'pending',
      state: null,
      problems: [],
      mediaProblems: [],
      missing: [],
      attempts: 0,
      nextAttemptAt: 0,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      submittedAt: null,
    }
    await db.visits.put(row)
    return row
  })
}

/** Send a rejected visit, or one whose media hit a problem, again (after the cause is fixed). */
export async function retryVisit(db, uuid) {
  return db.transaction('rw', db.visits, db.media, async () => {
    const row = await db.visits.get(uuid)
    if (!row || row.status === 'conflict' || row.state === 'submitted') return false
    for (const ref of row.record.media ?? [])
      await db.media.where('sha256').equals(ref.sha256).modify({ problem: null })
    await db.visits.update(uuid, {
      status: row.status === 'rejected' ? 'pending' : row.status,
      problems: row.status === 'rejected' ? [] : row.problems,
      mediaProblems: [],
      attempts: 0,
      nextAttemptAt: 0,
    })
    return true
  })
}

/** Where each visit stands, for the outbox screen and the sync badge. */
export function visitPhase(row) {
  if (row.state === 'submitted') return 'submitted'
  if (row.status === 'conflict' || row.status === 'rejected' || row.mediaProblems?.length)
    return 'attention'
  return 'waiting'
}

export async function outboxCounts(db) {
  const counts = { waiting: 0, attention: 0, submitted: 0 }
  await db.visits.each((row) => {
    counts[visitPhase(row)] += 1
  })
  return counts
}
