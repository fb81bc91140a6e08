import { describe, expect, it } from 'vitest'
import { describeVisits, summarise, summaryText } from './summary.js'
import { storageVerdict } from './storage.js'

const ref = (sha, size) => ({ sha256: sha, size })
const row = (uuid, extra) => ({
  uuid,
  status: 'pending',
  state: null,
  record: { media: [ref('a', 100), ref('b', 300)] },
  missing: [],
  ...extra,
})

describe('outbox summary', () => {
  it('says how many wait, how many upload and how far', () => {
    const rows = [
      row('1'),
      row('2'),
      row('3'),
      row('4', { status: 'accepted', state: 'awaiting_media', missing: ['b'] }),
      row('5', { status: 'rejected', problems: [{ message: '缺少签名' }] }),
      row('6', { status: 'accepted', state: 'submitted' }),
    ]
    const media = [
      { sha256: 'a', complete: true, uploadedOffset: 100 },
      { sha256: 'b', complete: false, uploadedOffset: 80 },
    ]
    const described = describeVisits(rows, media, { running: true, phase: 'media' })
    expect(described.map((v) => v.percent)).toEqual([0, 0, 0, 45, 0, 100])
    const s = summarise(described)
    expect(s).toMatchObject({ waiting: 4, uploading: 1, attention: 1, submitted: 1, percent: 45 })
    const t = (key, p = {}) =>
      ({
        'field.outbox.waitingN': `${p.n} 条待同步`,
        'field.outbox.uploadingN': `${p.n} 条上传中 ${p.percent}%`,
        'field.outbox.attentionN': `${p.n} 条需处理`,
        'field.outbox.sep': '，',
      })[key]
    expect(summaryText({ ...s, waiting: 3 }, t)).toBe('3 条待同步，1 条上传中 45%，1 条需处理')
  })
  it('warns before storage runs out', () => {
    const MB = 1024 * 1024
    expect(storageVerdict({ usage: 10 * MB, quota: 2000 * MB }).level).toBe('ok')
    expect(storageVerdict({ usage: 1800 * MB, quota: 2000 * MB }).level).toBe('low')
    expect(storageVerdict({ usage: 1970 * MB, quota: 2000 * MB }).level).toBe('full')
  })
})
