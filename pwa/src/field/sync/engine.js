// One sync run: pull, push what is pending, upload the media the server lacks, push again to learn
// the visits are whole. One run at a time (per tab, and across tabs where the Web Locks API
// exists); started on demand and when the device comes back online; after a failure of the
// network it tries again later with exponential backoff and jitter.
import { ApiError } from '../../shared/api.js'
import { outboxCounts, setMeta } from './db.js'
import { CHUNK_SIZE, MediaProblem, uploadStoredMedia } from './media.js'
import { pullChanges, PULL_LIMIT } from './pull.js'
import { postpone, pushPending, PUSH_BATCH } from './push.js'
import { backoffDelay, createRetrier, isTransient, realSleep } from './retry.js'

export const LOCK_NAME = 'huifang-sync'
/** Between automatic runs after a failed one: 5 s, 10 s, 20 s … up to 15 minutes, jittered. */
export const RUN_BACKOFF = { baseMs: 5000, maxMs: 15 * 60 * 1000 }

const isSessionError = (err) =>
  err instanceof ApiError && (err.status === 401 || err.status === 403)

function errorView(err) {
  if (!err) return null
  return {
    code: err.code ?? 'unknown_error',
    message: err.message,
    message_en: err.messageEn ?? err.message,
    status: err.status ?? 0,
    transient: isTransient(err),
  }
}

/**
 * @param {object} options
 * @param {object} options.api  the shared API client (session.api)
 * @param {object} options.db   openSyncDb(userId)
 * @param {object} [options.retry]  per-request retries: {retries, baseMs, maxMs, timeoutMs}
 * @param {object} [options.runBackoff]  between runs: {baseMs, maxMs}
 * Also for tests: now, random, sleep, timers {setTimeout, clearTimeout}, target (where 'online'
 * fires; the window), locks (navigator.locks or null).
 */
export function createSyncEngine({
  api,
  db,
  chunkSize = CHUNK_SIZE,
  batchSize = PUSH_BATCH,
  pullLimit = PULL_LIMIT,
  retry = {},
  runBackoff = RUN_BACKOFF,
  now = Date.now,
  random = Math.random,
  sleep = realSleep,
  timers = globalThis,
  target = globalThis,
  locks = globalThis.navigator?.locks ?? null,
}) {
  const listeners = new Map()
  const retrier = createRetrier({ ...retry, random, sleep })
  let current = null // the run in progress
  let queued = null // one more run asked for while one was in progress
  let queuedForce = false
  let failures = 0 // runs in a row that ended on a transient error
  let timer = null
  let started = false
  const status = {
    running: false,
    phase: 'idle',
    pending: 0,
    attention: 0,
    uploading: 0,
    percent: null,
    lastRunAt: null,
    nextRunAt: null,
    error: null,
  }

  function on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, new Set())
    listeners.get(event).add(fn)
    return () => listeners.get(event).delete(fn)
  }

  function emit(event, payload) {
    for (const fn of listeners.get(event) ?? []) {
      try {
        fn(payload)
      } catch {
        // A listener's mistake must not stop the sync.
      }
    }
  }

  function progress(patch) {
    Object.assign(status, patch)
    emit('progress', { ...status })
  }

  async function refreshCounts(patch = {}) {
    const counts = await outboxCounts(db)
    progress({ pending: counts.waiting, attention: counts.attention, ...patch })
  }

  /** Accepted visits still waiting for media, and the blobs they lack. */
  async function awaitingMedia(dueOnly) {
    const at = now()
    const rows = await db.visits.where('state').equals('awaiting_media').toArray()
    return rows.filter(
      (row) =>
        (row.status === 'accepted' || row.status === 'duplicate') &&
        !row.mediaProblems?.length &&
        !(dueOnly && row.nextAttemptAt > at),
    )
  }

  async function uploadPhase(dueOnly, summary) {
    const visits = await awaitingMedia(dueOnly)
    const shas = [...new Set(visits.flatMap((row) => row.missing ?? []))]
    const sizes = new Map()
    for (const sha of shas) sizes.set(sha, (await db.media.get(sha))?.size ?? 0)
    const total = [...sizes.values()].reduce((a, b) => a + b, 0)
    const done = new Map()
    const failed = new Map() // sha -> MediaProblem
    const sent = () => [...done.values()].reduce((a, b) => a + b, 0)
    const percent = () => (total ? Math.min(100, Math.floor((sent() * 100) / total)) : 100)
    progress({ phase: 'media', uploading: shas.length, percent: shas.length ? 0 : null })
    let stop = null
    for (const sha of shas) {
      try {
        await uploadStoredMedia(api, db, sha, {
          chunkSize,
          retrier,
          onProgress: ({ offset }) => {
            done.set(sha, offset)
            progress({ percent: percent() })
          },
        })
        done.set(sha, sizes.get(sha))
        summary.uploaded += 1
        progress({ uploading: shas.length - summary.uploaded - failed.size, percent: percent() })
      } catch (err) {
        if (err instanceof MediaProblem) {
          failed.set(sha, err)
          summary.problems.push(err.toJSON())
          continue
        }
        stop = err
        break
      }
    }
    // Record what happened on each visit: a problem to show, whole (push again), or not yet.
    await db.transaction('rw', db.visits, async () => {
      for (const row of visits) {
        const missing = row.missing ?? []
        const problems = missing
          .filter((sha) => failed.has(sha))
          .map((sha) => failed.get(sha).toJSON())
        if (problems.length) await db.visits.update(row.uuid, { mediaProblems: problems })
        else if (missing.every((sha) => done.get(sha) === sizes.get(sha) && sizes.get(sha) > 0))
          await db.visits.update(row.uuid, { status: 'pending', nextAttemptAt: 0 })
      }
    })
    if (stop) {
      if (isTransient(stop)) {
        const left = visits.filter((row) => (row.missing ?? []).some((sha) => !done.has(sha)))
        await postpone(db, left, now(), { ...retrier.options })
      }
      throw stop
    }
  }

  async function runOnce({ force }) {
    const dueOnly = !force
    const summary = {
      pulled: 0,
      pushRequests: 0,
      uploaded: 0,
      counts: { accepted: 0, duplicate: 0, conflict: 0, rejected: 0 },
      problems: [],
      error: null,
    }
    const addCounts = (result) => {
      summary.pushRequests += result.requests
      for (const [key, n] of Object.entries(result.counts)) summary.counts[key] += n
    }
    progress({ running: true, phase: 'pull', error: null, percent: null, uploading: 0 })
    try {
      let pullError = null
      try {
        summary.pulled = (await pullChanges(api, db, { limit: pullLimit, retrier, now })).changes
      } catch (err) {
        // Visits matter more than a fresh task list: a failed pull never holds them back, unless
        // the session itself is gone. Its error is the run's once the visits are out.
        if (isSessionError(err)) throw err
        pullError = err
      }
      await refreshCounts({ phase: 'push' })
      addCounts(await pushPending(api, db, { batchSize, retrier, now, dueOnly }))
      await uploadPhase(dueOnly, summary)
      await refreshCounts({ phase: 'confirm' })
      addCounts(await pushPending(api, db, { batchSize, retrier, now, dueOnly }))
      if (pullError) throw pullError
    } catch (err) {
      if (err.requests) summary.pushRequests += err.requests
      summary.error = errorView(err)
    }
    await setMeta(db, 'lastSyncAt', now()).catch(() => {})
    return summary
  }

  /** The earliest time a visit held back by its own backoff becomes due, if any. */
  async function nextDue() {
    let earliest = null
    await db.visits.each((row) => {
      const waiting = row.status === 'pending' || row.state === 'awaiting_media'
      if (waiting && row.nextAttemptAt > 0 && (earliest === null || row.nextAttemptAt < earliest))
        earliest = row.nextAttemptAt
    })
    return earliest
  }

  async function schedule(summary) {
    if (timer) timers.clearTimeout(timer)
    timer = null
    let delay = null
    if (summary.error?.transient) {
      delay = backoffDelay(failures, { ...runBackoff, random })
      failures += 1
    } else {
      failures = 0
      // The run went through but some visits were still backing off: come back for them.
      const due = summary.error ? null : await nextDue()
      if (due !== null) delay = Math.max(0, due - now())
    }
    status.nextRunAt = delay === null ? null : now() + delay
    if (started && delay !== null) {
      timer = timers.setTimeout(() => {
        timer = null
        // Offline: the 'online' event starts the next run instead.
        if (target.navigator?.onLine === false) return
        sync({ force: false })
      }, delay)
    }
  }

  async function guarded(options) {
    const run = () => runOnce(options)
    const summary = locks ? await locks.request(LOCK_NAME, run) : await run()
    await schedule(summary).catch(() => {})
    await refreshCounts({
      running: false,
      phase: 'idle',
      uploading: 0,
      lastRunAt: now(),
      error: summary.error,
    }).catch(() => progress({ running: false, phase: 'idle' }))
    emit('done', summary)
    return summary
  }

  /**
   * Run a sync now, or, if one is running, once more after it (calls meanwhile share that one).
   * `force` (the default, for a person pressing "sync") sends visits that are still backing off;
   * automatic runs (online event, retry timer) pass force: false. Resolves with a summary:
   * {pulled, pushRequests, uploaded, counts, problems, error}; it never rejects.
   */
  function sync({ force = true } = {}) {
    if (current) {
      queuedForce = queuedForce || force
      if (!queued)
        queued = current.then(() => {
          queued = null
          const again = queuedForce
          queuedForce = false
          return sync({ force: again })
        })
      return queued
    }
    current = guarded({ force }).finally(() => {
      current = null
    })
    return current
  }

  const onOnline = () => sync({ force: false })

  return {
    on,
    sync,
    /** Listen for 'online' (a run starts when the device comes back) and count the outbox. */
    start() {
      if (started) return
      started = true
      target.addEventListener?.('online', onOnline)
      refreshCounts().catch(() => {})
    },
    /** Stop listening and cancel any retry timer (sign-out); a run in progress finishes. */
    stop() {
      started = false
      target.removeEventListener?.('online', onOnline)
      if (timer) timers.clearTimeout(timer)
      timer = null
    },
    get status() {
      return { ...status }
    },
    get running() {
      return current !== null
    },
  }
}
