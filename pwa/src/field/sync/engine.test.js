import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { apiError, deferred } from '../../test/http.js'
import { outboxCounts } from './db.js'
import { createSyncEngine } from './engine.js'
import { createFakeSyncServer, lostRequest } from './testing/fakeServer.js'
import { addVisit, apiFor, freshDb } from './testing/helpers.js'

function fakeTimers(clock = { now: 0 }) {
  const pending = []
  return {
    clock,
    pending,
    setTimeout(fn, ms) {
      const t = { fn, ms }
      pending.push(t)
      return t
    },
    clearTimeout(t) {
      const i = pending.indexOf(t)
      if (i >= 0) pending.splice(i, 1)
    },
    /** Run the next timer as if its time had come. */
    fire() {
      const t = pending.shift()
      clock.now += t.ms
      t.fn()
      return t.ms
    },
  }
}

function setup(options = {}) {
  const server = createFakeSyncServer()
  const db = freshDb()
  const clock = { now: 1_000_000 }
  const timers = fakeTimers(clock)
  const target = new EventTarget()
  const slept = []
  const engine = createSyncEngine({
    api: apiFor(server),
    db,
    now: () => clock.now,
    random: () => 0,
    sleep: async (ms) => slept.push(ms),
    timers,
    target,
    locks: null,
    retry: { retries: 2, timeoutMs: 0 },
    ...options,
  })
  return { server, db, engine, timers, target, slept }
}

describe('a sync run', () => {
  it('delivers N visits whole in ceil(N/100) pushes each way plus the media, not N', async () => {
    const { server, db, engine } = setup()
    server.addChange('task', 7, { id: 7 })
    for (let i = 0; i < 150; i += 1) await addVisit(db, { media: [600 + i] })

    const summary = await engine.sync()

    expect(summary.error).toBeNull()
    expect(summary).toMatchObject({ pulled: 1, pushRequests: 4, uploaded: 150 })
    expect(server.count('GET', '/pull')).toBe(1)
    expect(server.count('POST', '/push')).toBe(4) // 2 × ceil(150 / 100)
    expect(server.count('GET', '/media')).toBe(150)
    expect(server.count('PUT', '/media')).toBe(150)
    expect(await outboxCounts(db)).toEqual({ waiting: 0, attention: 0, submitted: 150 })
    expect([...server.visits.values()].every((v) => v.state === 'submitted')).toBe(true)
    expect(await db.tasks.get(7)).toBeTruthy()

    // Visits without media are whole after the first push: no second one.
    for (let i = 0; i < 3; i += 1) await addVisit(db)
    const before = server.count('POST', '/push')
    await engine.sync()
    expect(server.count('POST', '/push') - before).toBe(1)
  }, 30_000)

  it('runs one at a time: calls during a run share one more run after it', async () => {
    const { server, db, engine } = setup()
    await addVisit(db)
    const hold = deferred()
    let first = true
    server.use(async (req, next) => {
      if (first && req.route.endsWith('/pull')) {
        first = false
        await hold.promise
      }
      return next()
    })

    const a = engine.sync()
    await Promise.resolve()
    expect(engine.running).toBe(true)
    const b = engine.sync()
    const c = engine.sync({ force: false })
    expect(b).toBe(c)
    hold.resolve()
    await Promise.all([a, b, c])

    expect(server.count('GET', '/pull')).toBe(2)
    expect(server.count('POST', '/push')).toBe(1) // the second run found nothing pending
    expect(engine.running).toBe(false)
  })

  it('reports progress for the UI: pending, uploading, percent', async () => {
    const { db, engine } = setup({ chunkSize: 1000 })
    await addVisit(db, { media: [3000] })
    await addVisit(db, { media: [1000] })
    const events = []
    engine.on('progress', (p) => events.push(p))

    await engine.sync()

    const media = events.filter((e) => e.phase === 'media')
    expect(media[0]).toMatchObject({ running: true, uploading: 2, percent: 0, pending: 2 })
    const percents = media.map((e) => e.percent)
    expect(percents).toEqual([...percents].sort((x, y) => x - y))
    expect(percents).toContain(50)
    expect(percents.at(-1)).toBe(100)
    expect(events.at(-1)).toMatchObject({ running: false, phase: 'idle', pending: 0, error: null })
  })

  it('keeps conflicts, rejections and media problems for a person, and finishes the rest', async () => {
    const { server, db, engine } = setup()
    server.knownTasks.add(7)
    const good = await addVisit(db, { media: [800] })
    const unknown = await addVisit(db, { task_id: 404 })
    const broken = await addVisit(db, { media: [900] })
    const brokenSha = broken.record.media[0].sha256
    server.use(async (req, next) =>
      req.method === 'PUT' && req.sha === brokenSha
        ? apiError(422, 'chunk_past_end', '超出', 'The chunk goes past the declared total')
        : next(),
    )

    const summary = await engine.sync()

    expect(summary.error).toBeNull()
    expect(summary.problems).toEqual([
      expect.objectContaining({ sha256: brokenSha, code: 'chunk_past_end' }),
    ])
    expect(await db.visits.get(good.record.uuid)).toMatchObject({ state: 'submitted' })
    expect(await db.visits.get(unknown.record.uuid)).toMatchObject({ status: 'rejected' })
    const row = await db.visits.get(broken.record.uuid)
    expect(row).toMatchObject({ status: 'accepted', state: 'awaiting_media' })
    expect(row.mediaProblems[0].code).toBe('chunk_past_end')
    expect(await outboxCounts(db)).toEqual({ waiting: 0, attention: 2, submitted: 1 })
  })

  it('does not let a failed pull hold visits back', async () => {
    const { server, db, engine } = setup()
    await addVisit(db)
    server.use(async (req, next) =>
      req.route.endsWith('/pull') ? apiError(500, 'http_500', '错误', 'Error') : next(),
    )
    const summary = await engine.sync()
    expect(server.visits.size).toBe(1)
    expect(summary.error).toMatchObject({ code: 'http_500', transient: true })
  })

  it('stops when the session is gone', async () => {
    const { server, db, engine } = setup()
    await addVisit(db)
    server.use(async () => apiError(401, 'token_revoked', '已退出', 'Signed out'))
    const summary = await engine.sync()
    expect(summary.error).toMatchObject({ code: 'token_revoked', transient: false })
    expect(server.count('POST', '/push')).toBe(0)
  })
})

describe('when to run', () => {
  it('backs off between failed runs (5 s, 10 s, 20 s …, jittered) and stops once through', async () => {
    const { server, db, engine, timers, slept } = setup()
    await addVisit(db)
    let down = true
    server.use(async (req, next) => {
      if (down) throw lostRequest()
      return next()
    })
    engine.start()

    const first = await engine.sync()
    expect(first.error).toMatchObject({ code: 'network_error', transient: true })
    // Within the run each request was retried twice: 1 s and 2 s ceilings, jittered to half.
    expect(slept.slice(0, 2)).toEqual([500, 1000])
    const delays = []
    for (let i = 0; i < 3; i += 1) {
      expect(timers.pending).toHaveLength(1)
      const done = new Promise((resolve) => engine.on('done', resolve))
      delays.push(timers.fire())
      await done
    }
    expect(delays).toEqual([2500, 5000, 10000])
    expect(engine.status.nextRunAt).toBeGreaterThan(0)

    down = false
    const done = new Promise((resolve) => engine.on('done', resolve))
    timers.fire()
    const summary = await done
    expect(summary.error).toBeNull()
    expect(timers.pending).toHaveLength(0)
    expect(engine.status.nextRunAt).toBeNull()
    expect(server.visits.size).toBe(1)
  })

  it('holds a visit back from automatic runs while it backs off; a person can force it', async () => {
    const { server, db, engine, timers } = setup({ retry: { retries: 0, timeoutMs: 0 } })
    const late = await addVisit(db)
    let down = true
    server.use(async (req, next) => {
      if (down) throw lostRequest()
      return next()
    })
    engine.start()
    await engine.sync()
    down = false
    timers.clock.now += 100 // well within its backoff
    await engine.sync({ force: false })
    expect(server.visits.size).toBe(0)
    // The run went through, so a timer comes back for the held-back visit when it is due.
    const row = await db.visits.get(late.record.uuid)
    expect(timers.pending.map((t) => t.ms)).toEqual([row.nextAttemptAt - timers.clock.now])
    await engine.sync()
    expect(server.visits.size).toBe(1)
    expect(timers.pending).toHaveLength(0)
  })

  it('runs when the device comes back online, and not after stop()', async () => {
    const { server, db, engine, target } = setup()
    await addVisit(db)
    engine.start()
    const done = new Promise((resolve) => engine.on('done', resolve))
    target.dispatchEvent(new Event('online'))
    await done
    expect(server.visits.size).toBe(1)

    engine.stop()
    target.dispatchEvent(new Event('online'))
    await Promise.resolve()
    expect(engine.running).toBe(false)
  })

  it('takes the cross-tab lock when the browser has one', async () => {
    const names = []
    const locks = { request: async (name, fn) => (names.push(name), fn()) }
    const { db, engine } = setup({ locks })
    await addVisit(db)
    await engine.sync()
    expect(names).toEqual(['huifang-sync'])
  })
})
