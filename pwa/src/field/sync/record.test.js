import { describe, expect, it } from 'vitest'
import { recordHash, sha256Hex } from './hash.js'
import { buildRecord, deviceTime, RecordError } from './record.js'
import { blobOf, draft } from './testing/helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/

describe('buildRecord', () => {
  it('makes a record the server can check: UUID, schema fields, hash of its canonical form', async () => {
    const photo = blobOf(3000, 1)
    const strokes = blobOf(500, 2)
    const { record, media } = await buildRecord(
      draft({
        media: [
          {
            kind: 'photo',
            blob: photo,
            question_id: 'photo_1',
            taken_at: '2026-11-25T09:10:00+08:00',
          },
          { kind: 'signature_strokes', blob: strokes, signer: 'holder' },
        ],
        place: {
          lat: 36.651216,
          lon: 117.120095,
          accuracy_m: 12.5,
          at: '2026-11-25T09:01:02+08:00',
        },
      }),
      { clockOffsetMs: -1234, appVersion: '0.1.0' },
    )
    expect(record.uuid).toMatch(UUID)
    expect(record.clock_offset_ms).toBe(-1234)
    expect(record.place_status).toBe('ok')
    expect(record.media).toEqual([
      {
        sha256: await sha256Hex(photo),
        kind: 'photo',
        size: 3000,
        mime: 'image/jpeg',
        question_id: 'photo_1',
        taken_at: '2026-11-25T09:10:00+08:00',
      },
      {
        sha256: await sha256Hex(strokes),
        kind: 'signature_strokes',
        size: 500,
        mime: 'application/x-huifang-strokes',
        signer: 'holder',
      },
    ])
    expect(media.map((m) => m.sha256)).toEqual(record.media.map((m) => m.sha256))
    expect(record.hash).toBe(await recordHash(record))
    // Only the members the schema knows (sync/records.py, additionalProperties: false).
    expect(Object.keys(record).sort()).toEqual(
      [
        'answers',
        'app_version',
        'clock_offset_ms',
        'finished_at',
        'hash',
        'media',
        'outcome',
        'outcome_reason',
        'place',
        'place_status',
        'postponed_to',
        'questionnaire_version_id',
        'started_at',
        'task_id',
        'uuid',
      ].sort(),
    )
  })

  it('writes Date objects as local time with the zone', async () => {
    const { record } = await buildRecord(
      draft({
        started_at: new Date(2026, 10, 25, 9, 0, 0),
        finished_at: new Date(2026, 10, 25, 9, 30),
      }),
    )
    expect(record.started_at).toMatch(TIME)
    expect(record.started_at.slice(0, 19)).toBe('2026-11-25T09:00:00')
    expect(deviceTime(new Date(2026, 0, 2, 3, 4, 5))).toMatch(
      /^2026-01-02T03:04:05[+-]\d{2}:\d{2}$/,
    )
  })

  it('keeps a broken draft out of the outbox with the reasons in both languages', async () => {
    const err = await buildRecord(
      draft({
        outcome: 'postponed',
        media: [{ kind: 'video', blob: blobOf(10) }],
      }),
    ).catch((e) => e)
    expect(err).toBeInstanceOf(RecordError)
    expect(err.problems.map((p) => p.code)).toEqual([
      'postponed_to_required',
      'media_kind_invalid',
      'media_mime_invalid',
    ])
    expect(err.problems[0].message).toBeTruthy()
    expect(err.problems[0].message_en).toBeTruthy()
  })

  it('refuses the same file listed twice', async () => {
    const blob = blobOf(100, 9)
    const err = await buildRecord(
      draft({
        media: [
          { kind: 'photo', blob },
          { kind: 'photo', blob },
        ],
      }),
    ).catch((e) => e)
    expect(err.problems[0].code).toBe('media_duplicated')
  })
})
