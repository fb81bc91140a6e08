// Push: finished visits in batches of up to 100, each answered accepted / duplicate / conflict /
// rejected. Pushing the same record again is a no-op on the server ("duplicate"), so a batch whose
// answer was lost is simply sent again.
import { ApiError } from '../../shared/api.js'
import { clockOffset } from './clock.js'
import { setMeta } from './db.js'
import { backoffDelay, createRetrier, isTransient } from './retry.js'

export const PUSH_BATCH = 100
export const PUSH_PATH = '/sync/push'

/** Visits that should go out now: pending, and (for automatic runs) due after earlier failures. */
export async function pendingVisits(db, { now = Date.now, dueOnly = false } = {}) {
  const rows = await db.visits.where('status').equals('pending').sortBy('createdAt')
  const at = now()
  return dueOnly ? rows.filter((row) => !(row.nextAttemptAt > at)) : rows
}

function answerFor(result, row, at) {
  const base = { problems: result.problems ?? [], attempts: 0, nextAttemptAt: 0, updatedAt: at }
  switch (result.status) {
    case 'accepted':
    case 'duplicate':
      return {
        ...base,
        status: result.status,
        state: result.state ?? null,
        missing: result.missing_media ?? [],
        submittedAt: result.state === 'submitted' ? (row.submittedAt ?? at) : null,
      }
    case 'conflict': // the server keeps this version for review: shown, never sent again by itself
    case 'rejected': // the server stored nothing: the visit stays here with the reasons
      return { ...base, status: result.status, missing: [] }
    default:
      throw new ApiError({
        code: 'push_answer_invalid',
        message: '服务器对提交的应答无法识别',
        messageEn: `Unknown push status ${result.status}`,
      })
  }
}

/**
 * Push every pending visit (batches of `batchSize`) and write each answer to its outbox row.
 * A batch that keeps failing on the network leaves its visits pending with attempts and
 * nextAttemptAt set, and the error is thrown; a 4xx on the whole batch is thrown as it is.
 *
 * @returns {Promise<{requests, counts: {accepted, duplicate, conflict, rejected}}>}
 */
export async function pushPending(
  api,
  db,
  { batchSize = PUSH_BATCH, retrier = createRetrier(), now = Date.now, dueOnly = false } = {},
) {
  const rows = await pendingVisits(db, { now, dueOnly })
  const counts = { accepted: 0, duplicate: 0, conflict: 0, rejected: 0 }
  let requests = 0
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize)
    const sentAt = now()
    let answer
    try {
      answer = await retrier.call(() => {
        requests += 1
        return api.post(PUSH_PATH, { visits: batch.map((row) => row.record) })
      })
    } catch (err) {
      if (isTransient(err)) await postpone(db, batch, now(), retrier.options)
      err.requests = requests
      throw err
    }
    const receivedAt = now()
    const results = answer?.results ?? []
    if (results.length !== batch.length)
      throw new ApiError({
        code: 'push_answer_invalid',
        message: '服务器的应答与提交的记录数不符',
        messageEn: `Pushed ${batch.length} records, got ${results.length} answers`,
      })
    const offset = clockOffset(answer.server_time, sentAt, receivedAt)
    await db.transaction('rw', db.visits, db.meta, async () => {
      for (const [i, row] of batch.entries()) {
        const result = results[i]
        if (result.uuid != null && result.uuid !== row.uuid)
          throw new ApiError({
            code: 'push_answer_invalid',
            message: '服务器的应答顺序与提交不符',
            messageEn: `Answer ${i} is for ${result.uuid}, not ${row.uuid}`,
          })
        const current = await db.visits.get(row.uuid)
        // Replaced by a corrected version while this batch was on the wire: the answer was about
        // the old one, so the new one stays pending.
        if (!current || current.hash !== row.hash) continue
        await db.visits.update(row.uuid, answerFor(result, current, receivedAt))
        counts[result.status] += 1
      }
      if (offset !== null) await setMeta(db, 'clockOffsetMs', offset)
    })
  }
  return { requests, counts }
}

/** After a batch kept failing: count the attempt and hold it back from automatic runs a while. */
export async function postpone(db, rows, at, options) {
  await db.transaction('rw', db.visits, async () => {
    for (const row of rows) {
      const current = await db.visits.get(row.uuid)
      if (!current) continue
      const attempts = (current.attempts ?? 0) + 1
      await db.visits.update(row.uuid, {
        attempts,
        nextAttemptAt: at + backoffDelay(attempts - 1, options),
      })
    }
  })
}
