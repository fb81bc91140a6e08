// Pull: what changed for this specialist since the cursor, a page at a time, until more=false.
// Each page is applied and its cursor saved in one Dexie transaction: a crash, a closed tab or a
// failed write between fetching a page and applying it leaves the old cursor, so the page comes
// again; the cursor never runs ahead of what the device holds.
import { ApiError } from '../../shared/api.js'
import { clockOffset } from './clock.js'
import { getMeta, setMeta } from './db.js'
import { createRetrier } from './retry.js'

export const PULL_PATH = '/sync/pull'
export const PULL_LIMIT = 200

function outOfOrder(messageEn) {
  return new ApiError({
    code: 'pull_out_of_order',
    message: '服务器返回的变更顺序有误，未予采用',
    messageEn,
  })
}

/** A page must continue from the cursor it was asked for, in order, ending at next_cursor. */
export function checkPage(cursor, page) {
  const changes = page?.changes
  if (!Array.isArray(changes) || !Number.isInteger(page.next_cursor))
    throw outOfOrder('A pull page without changes or next_cursor')
  let last = cursor
  for (const change of changes) {
    if (!(change.seq > last)) throw outOfOrder(`Change ${change.seq} does not follow ${last}`)
    last = change.seq
  }
  if (page.next_cursor < last || (changes.length && page.next_cursor !== last))
    throw outOfOrder(`next_cursor ${page.next_cursor} does not end the page at ${last}`)
  if (page.more && page.next_cursor === cursor)
    throw outOfOrder('The server says there is more but the cursor does not move')
}

/**
 * Apply one page and move the cursor, atomically. If the stored cursor is no longer the one the
 * page was asked from (another tab pulled meanwhile), the page is dropped: it was applied there.
 */
export async function applyPage(db, cursor, page) {
  const tables = [db.tasks, db.questionnaireVersions, db.otherChanges, db.meta]
  return db.transaction('rw', tables, async () => {
    if ((await getMeta(db, 'cursor', 0)) !== cursor) return false
    // The last word on each task within the page wins: a task then its tombstone deletes it.
    const tasks = new Map()
    const questionnaires = []
    const others = []
    for (const change of page.changes) {
      if (change.kind === 'task')
        tasks.set(change.id, { id: change.id, seq: change.seq, data: change.data })
      else if (change.kind === 'tombstone') tasks.set(change.id, null)
      else if (change.kind === 'questionnaire_version')
        questionnaires.push({ id: change.id, seq: change.seq, data: change.data })
      else others.push({ ...change })
    }
    const puts = [...tasks.values()].filter(Boolean)
    const deletes = [...tasks.entries()].filter(([, row]) => row === null).map(([id]) => id)
    if (puts.length) await db.tasks.bulkPut(puts)
    if (deletes.length) await db.tasks.bulkDelete(deletes)
    if (questionnaires.length) await db.questionnaireVersions.bulkPut(questionnaires)
    if (others.length) await db.otherChanges.bulkPut(others)
    await setMeta(db, 'cursor', page.next_cursor)
    return true
  })
}

/**
 * Fetch and apply every page since the stored cursor.
 * @returns {Promise<{pages, changes, cursor}>}
 */
export async function pullChanges(
  api,
  db,
  { limit = PULL_LIMIT, retrier = createRetrier(), now = Date.now, onPage } = {},
) {
  let pages = 0
  let changes = 0
  for (;;) {
    const cursor = await getMeta(db, 'cursor', 0)
    const sentAt = now()
    const page = await retrier.call(() => api.get(PULL_PATH, { cursor, limit }))
    const offset = clockOffset(page?.server_time, sentAt, now())
    checkPage(cursor, page)
    await applyPage(db, cursor, page)
    if (offset !== null) await setMeta(db, 'clockOffsetMs', offset)
    pages += 1
    changes += page.changes.length
    onPage?.({ cursor: page.next_cursor, changes: page.changes.length })
    if (!page.more) return { pages, changes, cursor: page.next_cursor }
  }
}
