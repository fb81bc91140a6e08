import { describe, expect, it } from 'vitest'
import {
  actionLabel,
  auditQuery,
  dataText,
  dayAfter,
  dayStart,
  parseActions,
  readTargets,
} from './audit.js'

describe('audit filters', () => {
  it('merges the picked action and typed codes, distinct and valid only', () => {
    expect(parseActions('login', 'device_revoked, login，personal_data_read  bad code!')).toEqual([
      'login',
      'device_revoked',
      'personal_data_read',
      'bad',
    ])
    expect(parseActions('', '')).toEqual([])
    expect(parseActions('', Array.from({ length: 30 }, (_, i) => `a${i}`).join(','))).toHaveLength(
      20,
    )
  })

  it('reads days as Beijing days with an exclusive end', () => {
    expect(dayStart('2026-11-25')).toBe('2026-11-25T00:00:00+08:00')
    expect(dayAfter('2026-11-30')).toBe('2026-12-01T00:00:00+08:00')
    expect(dayAfter('2026-12-31')).toBe('2027-01-01T00:00:00+08:00')
    expect(dayStart('25/11/2026')).toBeNull()
    expect(dayAfter('')).toBeNull()
  })

  it('builds the query, leaving out what is empty', () => {
    expect(auditQuery({ action: '', actionCodes: '', actor: '  ', from: '', to: '' })).toEqual({
      limit: 50,
    })
    expect(
      auditQuery(
        {
          action: 'login',
          actionCodes: 'device_revoked',
          actor: ' alice ',
          target_type: 'policy',
          target_id: '42',
          institution_id: 7,
          from: '2026-11-01',
          to: '2026-11-30',
        },
        99,
        20,
      ),
    ).toEqual({
      limit: 20,
      action: ['login', 'device_revoked'],
      actor: 'alice',
      target_type: 'policy',
      target_id: '42',
      institution_id: 7,
      at_from: '2026-11-01T00:00:00+08:00',
      at_to: '2026-12-01T00:00:00+08:00',
      cursor: 99,
    })
  })
})

describe('audit events', () => {
  const messages = { 'audit.actions.login': '登录' }
  const t = (key) => messages[key]
  const te = (key) => key in messages

  it('names known actions and shows the code of others', () => {
    expect(actionLabel('login', t, te)).toBe('登录')
    expect(actionLabel('questionnaire_retired', t, te)).toBe('questionnaire_retired')
  })

  it('lists the records of a personal-data read', () => {
    const event = {
      data: {
        count: 121,
        targets: {
          policy: { count: 120, ids: [1, 2], ids_truncated: true },
          salesperson: { count: 1, ids: [5] },
        },
      },
    }
    expect(readTargets(event)).toEqual([
      { type: 'policy', count: 120, ids: [1, 2], truncated: true },
      { type: 'salesperson', count: 1, ids: [5], truncated: false },
    ])
    expect(readTargets({ data: {} })).toEqual([])
    expect(dataText({ data: {} })).toBe('')
    expect(dataText({ data: { a: 1 } })).toBe('{\n  "a": 1\n}')
  })
})
