// The visit draft store: every change on disk at once, encrypted, and a "reload" (a new store and
// a new composable on the same database) resumes the visit exactly.
import 'fake-indexeddb/auto'
import { Blob as NodeBlob } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { newDraft } from '../visit/machine.js'
import { openFieldDb } from './fieldDb.js'
import { createDraftStore } from './drafts.js'
import { useVisitDraft } from './useVisitDraft.js'

let n = 0
const freshName = () => `field-test-${(n += 1)}-${Math.random().toString(36).slice(2)}`

function draftFor(taskId) {
  return newDraft({
    id: `00000000-0000-4000-8000-00000000000${taskId}`,
    taskId,
    versionId: 7,
    clockOffsetMs: 1500,
    now: '2026-11-25T09:00:00+08:00',
  })
}

describe('draft store', () => {
  it('resumes a visit after a reload, at the same step with the same answers and media', async () => {
    const name = freshName()
    const db = openFieldDb(1, { name })
    const visit = useVisitDraft(createDraftStore(db), 42)
    expect(await visit.load()).toBeNull()
    await visit.begin(draftFor(42))
    await visit.update({ startedAt: '2026-11-25T09:01:00+08:00', step: 'identity' })
    await visit.update((d) => ({ ...d, answers: { ...d.answers, holder_present: true } }))
    const blobId = await visit.putBlob(
      new NodeBlob([new Uint8Array([1, 2, 3])], { type: 'image/png' }),
    )
    await visit.update((d) => ({
      ...d,
      step: 'questions',
      answers: { ...d.answers, holder_id_check: '0011' },
      signatures: { holder: { pngBlob: blobId } },
    }))
    db.close()

    // The tab is closed and opened again: new database handle, new store, new composable.
    const again = openFieldDb(1, { name })
    const resumed = useVisitDraft(createDraftStore(again), 42)
    const draft = await resumed.load()
    expect(draft.step).toBe('questions')
    expect(draft.answers).toEqual({ holder_present: true, holder_id_check: '0011' })
    expect(draft.startedAt).toBe('2026-11-25T09:01:00+08:00')
    expect(draft.clockOffsetMs).toBe(1500)
    const blob = await resumed.getBlob(draft.signatures.holder.pngBlob)
    expect(blob.type).toBe('image/png')
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3])
    again.close()
  })

  it('keeps drafts and their media encrypted at rest', async () => {
    const db = openFieldDb(1, { name: freshName() })
    const store = createDraftStore(db)
    const draft = { ...draftFor(5), answers: { holder_id_check: '4321' } }
    await store.save(draft)
    const id = await store.putBlob(draft.id, new NodeBlob(['SECRET-PHOTO']))
    const row = await db.drafts.get(draft.id)
    expect(Object.keys(row).sort()).toEqual(['id', 'sealed', 'status', 'taskId', 'updatedAt'])
    const raw = new TextDecoder().decode(row.sealed.data)
    expect(raw).not.toContain('4321')
    const blobRow = await db.draftBlobs.get(id)
    expect(new TextDecoder().decode(blobRow.sealed.data)).not.toContain('SECRET')
    // The key is a non-extractable AES-GCM CryptoKey.
    const { key } = await db.keys.get('data')
    expect(key.algorithm.name).toBe('AES-GCM')
    expect(key.extractable).toBe(false)
    db.close()
  })

  it('writes in the order the changes were given', async () => {
    const db = openFieldDb(1, { name: freshName() })
    const store = createDraftStore(db)
    const visit = useVisitDraft(store, 9)
    await visit.begin(draftFor(9))
    const writes = []
    for (let i = 0; i < 20; i += 1) writes.push(visit.update({ outcomeReason: `r${i}` }))
    await Promise.all(writes)
    expect((await store.get(draftFor(9).id)).outcomeReason).toBe('r19')
    expect(visit.saved.value).toBe(true)
    db.close()
  })

  it('removes a draft with its media', async () => {
    const db = openFieldDb(1, { name: freshName() })
    const store = createDraftStore(db)
    const draft = draftFor(3)
    await store.save(draft)
    await store.putBlob(draft.id, new NodeBlob(['x']))
    await store.remove(draft.id)
    expect(await db.drafts.count()).toBe(0)
    expect(await db.draftBlobs.count()).toBe(0)
    db.close()
  })
})
