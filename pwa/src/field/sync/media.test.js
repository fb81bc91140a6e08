import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { apiError } from '../../test/http.js'
import { sha256Hex } from './hash.js'
import { MediaProblem, uploadMedia, uploadStoredMedia } from './media.js'
import { createFakeSyncServer, lostRequest, sha256Of } from './testing/fakeServer.js'
import { addVisit, apiFor, blobOf, freshDb, instantRetrier } from './testing/helpers.js'

const CHUNK = 1000
const SIZE = 5500

async function photo(size = SIZE, seed = 3) {
  const blob = blobOf(size, seed)
  return { sha256: await sha256Hex(blob), blob, size }
}

async function bytes(blob) {
  return new Uint8Array(await blob.arrayBuffer())
}

/** Cut the connection once, when the server has stored `at` bytes: the rest of that chunk and the
 * answer are lost. */
function cutAt(server, at) {
  let done = false
  server.use(async (req, next) => {
    if (done || req.method !== 'PUT') return next()
    const offset = Number(req.query.offset)
    if (offset + req.bytes.length < at) return next()
    done = true
    req.bytes = req.bytes.slice(0, at - offset)
    if (req.bytes.length) await next()
    throw lostRequest()
  })
}

describe('resumable upload', () => {
  it.each([1, 999, 1000, 1001, 2500, 5499])(
    'an upload cut at byte %i resumes from the server offset',
    async (at) => {
      const server = createFakeSyncServer()
      const item = await photo()
      cutAt(server, at)
      const retrier = instantRetrier()
      const seen = []

      const final = await uploadMedia(apiFor(server), item, {
        chunkSize: CHUNK,
        retrier,
        onProgress: ({ offset }) => seen.push(offset),
      })

      expect(final).toMatchObject({ state: 'complete', offset: SIZE, total: SIZE })
      const stored = server.blobs.get(item.sha256)
      expect(stored.complete).toBe(true)
      expect(sha256Of(stored.bytes)).toBe(item.sha256)
      expect(stored.bytes).toEqual(await bytes(item.blob))
      // After the cut it asked where the server stood and went on from exactly there.
      const puts = server.log.filter((r) => r.method === 'PUT').map((r) => Number(r.query.offset))
      const resumedAt = server.sent.findIndex((r, i) => i > 0 && r.method === 'GET')
      expect(Number(server.sent[resumedAt + 1].query.offset)).toBe(at)
      expect(puts).toContain(at)
      expect(server.log.filter((r) => r.status !== 200)).toEqual([]) // never a refused chunk
      expect(seen).toContain(at)
      expect(seen.at(-1)).toBe(SIZE)
      expect(retrier.slept).toHaveLength(1)
    },
  )

  it('skips a blob the server already has whole', async () => {
    const server = createFakeSyncServer()
    const item = await photo()
    await uploadMedia(apiFor(server), item, { chunkSize: CHUNK, retrier: instantRetrier() })
    const before = server.sent.length
    await uploadMedia(apiFor(server), item, { chunkSize: CHUNK, retrier: instantRetrier() })
    expect(server.sent.slice(before).map((r) => r.method)).toEqual(['GET'])
  })

  it('jumps to details.offset on offset_mismatch without asking again', async () => {
    const server = createFakeSyncServer()
    const item = await photo()
    const api = apiFor(server)
    // An earlier, timed-out request lands while this one is on its way: the server is at 3000.
    let raced = false
    server.use(async (req, next) => {
      if (req.method === 'PUT' && !raced) {
        raced = true
        const early = await bytes(item.blob.slice(0, 3000))
        const b = { total: SIZE, bytes: new Uint8Array(SIZE), offset: 3000, complete: false }
        b.bytes.set(early, 0)
        server.blobs.set(item.sha256, b)
      }
      return next()
    })

    await uploadMedia(api, item, { chunkSize: CHUNK, retrier: instantRetrier() })

    expect(server.log.map((r) => `${r.method} ${r.query.offset ?? ''} ${r.status}`)).toEqual([
      'GET  200',
      'PUT 0 409',
      'PUT 3000 200',
      'PUT 4000 200',
      'PUT 5000 200',
    ])
    expect(server.blobs.get(item.sha256).complete).toBe(true)
  })

  it('retries 5xx with backoff and gives up with the transient error after the retries', async () => {
    const server = createFakeSyncServer()
    const item = await photo()
    let failing = 2
    server.use(async (req, next) =>
      req.method === 'PUT' && failing-- > 0 ? apiError(503, 'http_503', '忙', 'Busy') : next(),
    )
    const retrier = instantRetrier({ baseMs: 100 })
    await uploadMedia(apiFor(server), item, { chunkSize: CHUNK, retrier })
    expect(retrier.slept).toEqual([50, 100]) // jitter at its low end: d/2 for d = 100, 200
    expect(server.blobs.get(item.sha256).complete).toBe(true)

    const down = createFakeSyncServer()
    down.use(async () => {
      throw lostRequest()
    })
    const err = await uploadMedia(apiFor(down), item, {
      retrier: instantRetrier({ retries: 3 }),
    }).catch((e) => e)
    expect(err.code).toBe('network_error')
    expect(down.sent).toHaveLength(4)
  })

  it('surfaces chunk_past_end as a problem and stops', async () => {
    const server = createFakeSyncServer()
    const item = await photo()
    // The outbox says 5000 bytes but the blob holds 5500: the last chunk goes past the total.
    const err = await uploadMedia(
      apiFor(server),
      { ...item, size: 5000, blob: { slice: (a, b) => item.blob.slice(a, b + 500) } },
      { chunkSize: 5000, retrier: instantRetrier() },
    ).catch((e) => e)
    expect(err).toBeInstanceOf(MediaProblem)
    expect(err).toMatchObject({ code: 'chunk_past_end', status: 422, sha256: item.sha256 })
    expect(err.messageEn).toMatch(/past/)
    expect(server.count('PUT', `/media`)).toBe(1)
  })

  it('surfaces hash_mismatch when the bytes do not match their name', async () => {
    const server = createFakeSyncServer()
    const item = await photo()
    const other = blobOf(SIZE, 99)
    const err = await uploadMedia(
      apiFor(server),
      { ...item, blob: other },
      { chunkSize: CHUNK, retrier: instantRetrier() },
    ).catch((e) => e)
    expect(err).toBeInstanceOf(MediaProblem)
    expect(err.code).toBe('hash_mismatch')
    expect(server.blobs.has(item.sha256)).toBe(false)
    expect(server.count('PUT', '/media')).toBe(6) // no retry loop
  })
})

describe('stored media', () => {
  it('records the offset reached and completion on the outbox row', async () => {
    const server = createFakeSyncServer()
    const db = freshDb()
    const built = await addVisit(db, { media: [SIZE] })
    const sha = built.record.media[0].sha256
    cutAt(server, 2500)
    const noRetry = instantRetrier({ retries: 0 })
    await expect(
      uploadStoredMedia(apiFor(server), db, sha, { chunkSize: CHUNK, retrier: noRetry }),
    ).rejects.toMatchObject({ code: 'network_error' })
    expect(await db.media.get(sha)).toMatchObject({ uploadedOffset: 2000, complete: false })

    await uploadStoredMedia(apiFor(server), db, sha, {
      chunkSize: CHUNK,
      retrier: instantRetrier(),
    })

    expect(await db.media.get(sha)).toMatchObject({ uploadedOffset: SIZE, complete: true })
  })

  it('keeps a problem on the row until the visit is retried', async () => {
    const server = createFakeSyncServer()
    const db = freshDb()
    const built = await addVisit(db, { media: [SIZE] })
    const sha = built.record.media[0].sha256
    server.use(async (req, next) =>
      req.method === 'PUT' ? apiError(413, 'media_too_large', '文件过大', 'Too large') : next(),
    )
    const api = apiFor(server)
    await expect(uploadStoredMedia(api, db, sha, { retrier: instantRetrier() })).rejects.toThrow(
      MediaProblem,
    )
    expect((await db.media.get(sha)).problem).toMatchObject({ code: 'media_too_large' })
    const before = server.sent.length
    await expect(uploadStoredMedia(api, db, sha, { retrier: instantRetrier() })).rejects.toThrow(
      MediaProblem,
    )
    expect(server.sent.length).toBe(before) // not sent again until someone retries
  })
})
