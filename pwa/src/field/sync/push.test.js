import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { enqueueVisit, OutboxError } from './db.js'
import { pushPending } from './push.js'
import { buildRecord } from './record.js'
import { createFakeSyncServer, lostRequest } from './testing/fakeServer.js'
import { addVisit, apiFor, draft, freshDb, instantRetrier } from './testing/helpers.js'

function setup() {
  const server = createFakeSyncServer()
  const db = freshDb()
  return { server, db, api: apiFor(server), retrier: instantRetrier() }
}

describe('push', () => {
  it('maps each answer to its outbox row', async () => {
    const { server, db, api, retrier } = setup()
    server.knownTasks.add(7)
    const plain = await addVisit(db)
    const withPhoto = await addVisit(db, { media: [4000] })
    const unknownTask = await addVisit(db, { task_id: 999 })

    const { requests, counts } = await pushPending(api, db, { retrier })

    expect(requests).toBe(1)
    expect(counts).toEqual({ accepted: 2, duplicate: 0, conflict: 0, rejected: 1 })
    const row = (built) => db.visits.get(built.record.uuid)
    expect(await row(plain)).toMatchObject({ status: 'accepted', state: 'submitted', missing: [] })
    expect((await row(plain)).submittedAt).toBeGreaterThan(0)
    expect(await row(withPhoto)).toMatchObject({
      status: 'accepted',
      state: 'awaiting_media',
      missing: [withPhoto.record.media[0].sha256],
    })
    // Rejected: stays on the device with the server's reasons, never deleted.
    const rejected = await row(unknownTask)
    expect(rejected.status).toBe('rejected')
    expect(rejected.problems).toEqual([
      { code: 'task_unknown', message: '任务不存在', message_en: 'No such task', field: 'task_id' },
    ])
    expect(rejected.record).toEqual(unknownTask.record)
    // Nothing is pending any more: a second push sends nothing.
    expect((await pushPending(api, db, { retrier })).requests).toBe(0)
  })

  it('keeps a conflict, shown, and does not send it again by itself', async () => {
    const { server, db, api, retrier } = setup()
    const first = await addVisit(db)
    // The first push reached the server but its answer was lost; meanwhile the visit was corrected.
    const drop = server.use(async (req, next) => {
      await next()
      throw lostRequest()
    })
    await expect(
      pushPending(api, db, { retrier: instantRetrier({ retries: 0 }) }),
    ).rejects.toThrow()
    drop()
    const corrected = await buildRecord(draft({ uuid: first.record.uuid, answers: { q1: 'no' } }))
    await enqueueVisit(db, corrected.record, corrected.media)

    const { counts } = await pushPending(api, db, { retrier })

    expect(counts.conflict).toBe(1)
    const row = await db.visits.get(first.record.uuid)
    expect(row).toMatchObject({ status: 'conflict', hash: corrected.record.hash })
    expect(server.conflicts.map((c) => c.hash)).toEqual([corrected.record.hash])
    expect(server.visits.get(first.record.uuid).hash).toBe(first.record.hash)
    expect((await pushPending(api, db, { retrier })).requests).toBe(0)
  })

  it('retries a push whose answer was lost and gets "duplicate", not a second visit', async () => {
    const { server, db, api, retrier } = setup()
    const built = await addVisit(db)
    let lost = 0
    server.use(async (req, next) => {
      const res = await next() // the server stored it …
      if (req.route.endsWith('/push') && lost++ === 0) throw lostRequest() // … the answer never came
      return res
    })

    await pushPending(api, db, { retrier })

    expect(server.count('POST', '/push')).toBe(2)
    expect(server.visits.size).toBe(1)
    expect(await db.visits.get(built.record.uuid)).toMatchObject({
      status: 'duplicate',
      state: 'submitted',
    })
    expect(retrier.slept).toHaveLength(1)
  })

  it('leaves the batch pending with its attempt counted when the network stays down', async () => {
    const { server, db, api } = setup()
    const built = await addVisit(db)
    server.use(async () => {
      throw lostRequest()
    })
    const retrier = instantRetrier({ retries: 2 })

    const err = await pushPending(api, db, { retrier, now: () => 1_000_000 }).catch((e) => e)

    expect(err.code).toBe('network_error')
    expect(server.count('POST', '/push')).toBe(3)
    const row = await db.visits.get(built.record.uuid)
    expect(row).toMatchObject({ status: 'pending', attempts: 1 })
    expect(row.nextAttemptAt).toBeGreaterThan(1_000_000)
    // An automatic run skips it until then; a person asking to sync does not wait.
    const later = await pushPending(api, db, { retrier, dueOnly: true, now: () => 1_000_001 })
    expect(later.requests).toBe(0)
  })

  it('does not retry a 4xx on the whole batch and keeps the visits', async () => {
    const { server, db, api, retrier } = setup()
    await addVisit(db)
    server.use(async (req, next) =>
      req.route.endsWith('/push')
        ? (await import('../../test/http.js')).apiError(403, 'forbidden', '无权限', 'Forbidden')
        : next(),
    )
    const err = await pushPending(api, db, { retrier }).catch((e) => e)
    expect(err.code).toBe('forbidden')
    expect(server.count('POST', '/push')).toBe(1)
    expect(await db.visits.where('status').equals('pending').count()).toBe(1)
  })

  it('sends 250 visits in 3 requests of at most 100', async () => {
    const { server, db, api, retrier } = setup()
    for (let i = 0; i < 250; i += 1) await addVisit(db)
    const sizes = []
    server.use(async (req, next) => {
      if (req.route.endsWith('/push')) sizes.push(JSON.parse(req.body).visits.length)
      return next()
    })
    const { requests, counts } = await pushPending(api, db, { retrier })
    expect(requests).toBe(3)
    expect(sizes).toEqual([100, 100, 50])
    expect(counts.accepted).toBe(250)
  })

  it('saves the clock offset from server_time', async () => {
    const server = createFakeSyncServer({ clock: () => 10_000 + 90_000 })
    const db = freshDb()
    await addVisit(db)
    await pushPending(apiFor(server), db, { retrier: instantRetrier(), now: () => 10_000 })
    expect((await db.meta.get('clockOffsetMs')).value).toBe(90_000)
  })
})

describe('outbox', () => {
  it('refuses to change a visit the server already holds', async () => {
    const { db, api, retrier } = setup()
    const built = await addVisit(db)
    await pushPending(api, db, { retrier })
    const changed = await buildRecord(draft({ uuid: built.record.uuid, answers: { q1: 'no' } }))
    const err = await enqueueVisit(db, changed.record, changed.media).catch((e) => e)
    expect(err).toBeInstanceOf(OutboxError)
    expect(err.code).toBe('visit_already_sent')
    // The same record again is a no-op.
    await expect(enqueueVisit(db, built.record, built.media)).resolves.toMatchObject({
      status: 'accepted',
    })
  })
})
