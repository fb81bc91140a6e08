import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import { response } from '../../test/http.js'
import { getMeta } from './db.js'
import { checkPage, pullChanges } from './pull.js'
import { createFakeSyncServer, lostRequest } from './testing/fakeServer.js'
import { apiFor, freshDb, instantRetrier } from './testing/helpers.js'

const task = (id, extra = {}) => ({
  id,
  status: 'assigned',
  policy: { policy_number: `P${id}` },
  ...extra,
})

function setup() {
  const server = createFakeSyncServer()
  return { server, db: freshDb(), api: apiFor(server), retrier: instantRetrier() }
}

describe('pull', () => {
  it('follows the cursor page by page until more is false', async () => {
    const { server, db, api, retrier } = setup()
    for (let id = 1; id <= 5; id += 1) server.addChange('task', id, task(id))

    const result = await pullChanges(api, db, { limit: 2, retrier })

    expect(result).toEqual({ pages: 3, changes: 5, cursor: 5 })
    expect(server.log.map((r) => r.query.cursor)).toEqual(['0', '2', '4'])
    expect((await db.tasks.toArray()).map((t) => t.id)).toEqual([1, 2, 3, 4, 5])
    expect((await db.tasks.get(1)).data.policy.policy_number).toBe('P1')
    expect(await getMeta(db, 'cursor')).toBe(5)

    // Nothing new: one empty page, same cursor.
    expect(await pullChanges(api, db, { limit: 2, retrier })).toEqual({
      pages: 1,
      changes: 0,
      cursor: 5,
    })
  })

  it('takes tasks away on tombstones, and keeps the last word within a page', async () => {
    const { server, db, api, retrier } = setup()
    server.addChange('task', 1, task(1))
    server.addChange('task', 2, task(2))
    await pullChanges(api, db, { retrier })
    server.addChange('tombstone', 1)
    server.addChange('task', 3, task(3))
    server.addChange('tombstone', 3)
    server.addChange('task', 2, task(2, { due_date: '2026-12-01' }))
    server.addChange('questionnaire_version', 11, { id: 11, code: 'new_business' })
    server.addChange('device_revoked', 1, { reason: 'lost' })

    await pullChanges(api, db, { retrier })

    expect((await db.tasks.toArray()).map((t) => [t.id, t.data.due_date])).toEqual([
      [2, '2026-12-01'],
    ])
    expect(await db.questionnaireVersions.get(11)).toMatchObject({ data: { code: 'new_business' } })
    // A kind this app does not know yet is kept, not skipped past with the cursor.
    expect(await db.otherChanges.toArray()).toEqual([
      { seq: 8, kind: 'device_revoked', id: 1, data: { reason: 'lost' } },
    ])
  })

  it('keeps the cursor only with its page applied', async () => {
    const { server, db, api, retrier } = setup()
    for (let id = 1; id <= 4; id += 1) server.addChange('task', id, task(id))
    server.addChange('tombstone', 1)
    server.addChange('tombstone', 2)
    // The first page applies; the second fails while writing its tombstones, after its tasks.
    const spy = vi.spyOn(db.tasks, 'bulkDelete').mockRejectedValueOnce(new Error('disk full'))

    await expect(pullChanges(api, db, { limit: 3, retrier })).rejects.toThrow('disk full')

    expect(await getMeta(db, 'cursor')).toBe(3)
    expect((await db.tasks.toArray()).map((t) => t.id)).toEqual([1, 2, 3]) // task 4 rolled back
    spy.mockRestore()
    await pullChanges(api, db, { limit: 3, retrier })
    expect(await getMeta(db, 'cursor')).toBe(6)
    expect((await db.tasks.toArray()).map((t) => t.id)).toEqual([3, 4])
  })

  it('retries a lost page and never moves the cursor past what it holds', async () => {
    const { server, db, api, retrier } = setup()
    for (let id = 1; id <= 3; id += 1) server.addChange('task', id, task(id))
    let n = 0
    server.use(async (req, next) => {
      const res = await next()
      if (n++ === 1) throw lostRequest() // the second page's answer is lost
      return res
    })
    await pullChanges(api, db, { limit: 2, retrier })
    expect(server.log.map((r) => r.query.cursor)).toEqual(['0', '2', '2'])
    expect(await db.tasks.count()).toBe(3)
  })

  it('refuses a page that does not continue from the cursor', async () => {
    const { db, retrier } = setup()
    const api = apiFor({
      fetch: async () =>
        response(200, {
          changes: [{ seq: 9, kind: 'task', id: 1, data: task(1) }],
          next_cursor: 7,
          more: false,
          server_time: '2026-11-25T01:00:00.123456+00:00',
        }),
    })
    await expect(pullChanges(api, db, { retrier })).rejects.toMatchObject({
      code: 'pull_out_of_order',
    })
    expect(await db.tasks.count()).toBe(0)
    expect(await getMeta(db, 'cursor', 0)).toBe(0)
    expect(() => checkPage(5, { changes: [], next_cursor: 5, more: true })).toThrow()
    expect(() => checkPage(5, { changes: [{ seq: 5 }], next_cursor: 5, more: false })).toThrow()
    expect(() =>
      checkPage(5, { changes: [{ seq: 6 }, { seq: 8 }], next_cursor: 8, more: true }),
    ).not.toThrow()
  })

  it('learns the clock offset from server_time', async () => {
    const server = createFakeSyncServer({ clock: () => Date.parse('2026-11-25T01:00:00Z') })
    const db = freshDb()
    const now = () => Date.parse('2026-11-25T00:58:00Z')
    await pullChanges(apiFor(server), db, { retrier: instantRetrier(), now })
    // The fake server writes microseconds (.000456): cut to milliseconds.
    expect(await getMeta(db, 'clockOffsetMs')).toBe(120_000)
  })
})
