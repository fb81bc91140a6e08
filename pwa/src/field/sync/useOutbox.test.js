import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { effectScope, nextTick } from 'vue'
import { createSyncEngine } from './engine.js'
import { createFakeSyncServer } from './testing/fakeServer.js'
import { addVisit, apiFor, freshDb } from './testing/helpers.js'
import { useOutbox } from './useOutbox.js'

const until = async (check) => {
  for (let i = 0; i < 100; i += 1) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('condition not reached')
}

describe('useOutbox', () => {
  it('follows the outbox live and the engine progress, and retries a rejected visit', async () => {
    const server = createFakeSyncServer()
    server.knownTasks.add(7)
    const db = freshDb()
    const engine = createSyncEngine({ api: apiFor(server), db, locks: null, sleep: async () => {} })
    const scope = effectScope()
    const outbox = scope.run(() => useOutbox(db, engine))

    await addVisit(db)
    const wrong = await addVisit(db, { task_id: 8 })
    await until(() => outbox.counts.value.waiting === 2)

    await outbox.sync()
    await until(() => outbox.counts.value.submitted === 1)
    expect(outbox.counts.value).toEqual({ waiting: 0, attention: 1, submitted: 1 })
    expect(outbox.progress.value).toMatchObject({ running: false, phase: 'idle' })
    const shown = outbox.visits.value.find((v) => v.uuid === wrong.record.uuid)
    expect(outbox.phase(shown)).toBe('attention')
    expect(shown.problems[0].code).toBe('task_unknown')

    server.knownTasks.add(8) // say the task reached the server meanwhile
    await outbox.retry(wrong.record.uuid)
    await until(() => outbox.counts.value.waiting === 1)
    await outbox.sync()
    await until(() => outbox.counts.value.submitted === 2)

    scope.stop()
    await nextTick()
  })
})
