import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { canonicalString } from './canonical.js'
import { recordHash, sha256Hex } from './hash.js'

// The vectors the server's pytest runs too (tests/sync/test_protocol.py): same bytes, same hash.
const vectors = JSON.parse(
  readFileSync(
    resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../../../tests/vectors/sync/record_hash.json',
    ),
    'utf8',
  ),
)

describe('shared record hash vectors', () => {
  it('has the vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(7)
  })

  it.each(vectors.map((v) => [v.name, v]))('%s', async (_name, vector) => {
    expect(canonicalString(vector.record)).toBe(vector.canonical)
    expect(await recordHash(vector.record)).toBe(vector.hash)
  })
})

describe('sha256Hex', () => {
  it('hashes text as UTF-8, bytes and blobs alike', async () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    expect(await sha256Hex('abc')).toBe(abc)
    expect(await sha256Hex(new Uint8Array([97, 98, 99]))).toBe(abc)
    const { Blob } = await import('node:buffer')
    expect(await sha256Hex(new Blob(['abc']))).toBe(abc)
  })

  it('leaves the hash member out of what is hashed', async () => {
    const record = { uuid: 'x', answers: {} }
    expect(await recordHash({ ...record, hash: 'whatever' })).toBe(await recordHash(record))
  })
})
