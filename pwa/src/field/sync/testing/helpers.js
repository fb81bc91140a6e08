// Test helpers: a fresh outbox database, an API client on the fake server, visits with media.
// Blobs are Node's: jsdom's Blob cannot be stored by fake-indexeddb (structured clone).
import 'fake-indexeddb/auto'
import { Blob as NodeBlob } from 'node:buffer'
import { createApiClient } from '../../../shared/api.js'
import { memoryTokens } from '../../../test/http.js'
import { openSyncDb, enqueueVisit } from '../db.js'
import { buildRecord } from '../record.js'
import { createRetrier } from '../retry.js'

let dbCount = 0

export function freshDb() {
  dbCount += 1
  return openSyncDb(1, { name: `sync-test-${dbCount}-${Math.random().toString(36).slice(2)}` })
}

export function apiFor(server) {
  return createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch: server.fetch })
}

/** A retrier that does not wait, recording the delays it would have slept. */
export function instantRetrier(options = {}) {
  const slept = []
  const retrier = createRetrier({
    random: () => 0,
    timeoutMs: 0,
    sleep: async (ms) => slept.push(ms),
    ...options,
  })
  return Object.assign(retrier, { slept })
}

/** Bytes that differ from test to test (seeded), as a Node Blob. */
export function blobOf(size, seed = 1) {
  const bytes = new Uint8Array(size)
  let x = seed * 2654435761
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0
    bytes[i] = x >>> 24
  }
  return new NodeBlob([bytes])
}

let seedCount = 0

export function draft(overrides = {}) {
  seedCount += 1
  return {
    task_id: 7,
    questionnaire_version_id: 3,
    started_at: '2026-11-25T09:00:00+08:00',
    finished_at: '2026-11-25T09:40:00+08:00',
    outcome: 'completed',
    answers: { q1: 'yes', n: seedCount },
    media: [],
    ...overrides,
  }
}

/** Build and enqueue a finished visit; `media` is a list of sizes of photos. */
export async function addVisit(db, { media = [], ...overrides } = {}) {
  const built = await buildRecord(
    draft({
      media: media.map((size, i) => ({
        kind: 'photo',
        blob: blobOf(size, seedCount * 100 + i + 1),
        question_id: `photo_${i}`,
      })),
      ...overrides,
    }),
  )
  await enqueueVisit(db, built.record, built.media)
  return built
}
