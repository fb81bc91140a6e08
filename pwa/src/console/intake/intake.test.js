import { describe, expect, it, vi } from 'vitest'
import { memoryStorage } from '../../shared/auth.js'
import { canConfirm, countRows, downloadFile, isRunning, percent } from './intake.js'

const batch = (over = {}) => ({
  kind: 'file',
  status: 'checked',
  error_count: 0,
  progress: 1,
  counts: { rows: 3, task_created: 2, out_of_scope: 1 },
  ...over,
})

describe('intake page helpers', () => {
  it('confirms only a clean, finished dry run of a file', () => {
    expect(canConfirm(batch())).toBe(true)
    expect(canConfirm(batch({ error_count: 1 }))).toBe(false)
    expect(canConfirm(batch({ status: 'running' }))).toBe(false)
    expect(canConfirm(batch({ status: 'imported' }))).toBe(false)
    expect(canConfirm(batch({ counts: { rows: 0 } }))).toBe(false)
    expect(canConfirm(batch({ kind: 'api' }))).toBe(false)
  })

  it('shows progress while running and a full bar once done', () => {
    expect(percent(batch({ status: 'running', progress: 0.426 }))).toBe(42)
    expect(percent(batch({ status: 'queued', progress: 0 }))).toBe(0)
    expect(percent(batch({ status: 'rejected', progress: 0.3 }))).toBe(100)
    expect(isRunning(batch({ status: 'running' }))).toBe(true)
    expect(isRunning(batch({ status: 'running', stale: true }))).toBe(false)
  })

  it('lists the outcome counts in a fixed order, zeros included, policy counts when any', () => {
    expect(countRows({ rows: 3, task_created: 2, out_of_scope: 1, policy_created: 2 })).toEqual([
      ['rows', 3],
      ['task_created', 2],
      ['duplicate', 0],
      ['out_of_scope', 1],
      ['error', 0],
      ['policy_created', 2],
    ])
  })

  it('shows the first phone calls a batch made (R11 phone first) after the fixed outcomes', () => {
    const rows = countRows({ rows: 4, task_created: 1, call_created: 3 })
    expect(rows.slice(0, 5).map(([key]) => key)).toEqual([
      'rows',
      'task_created',
      'duplicate',
      'out_of_scope',
      'error',
    ])
    expect(rows[5]).toEqual(['call_created', 3])
    expect(countRows({ rows: 1, task_created: 1 }).some(([key]) => key === 'call_created')).toBe(
      false,
    )
  })

  it('downloads with the token and refreshes it once when it ran out', async () => {
    const storage = memoryStorage()
    storage.setItem('huifang.session.console', JSON.stringify({ access_token: 'old' }))
    const seen = []
    const fetchImpl = vi.fn(async (url, init) => {
      seen.push(init.headers.Authorization)
      if (seen.length === 1) return new Response('{"code":"token_expired"}', { status: 401 })
      return new Response('a,b', { status: 200 })
    })
    const session = {
      api: {
        refresh: vi.fn(async () =>
          storage.setItem('huifang.session.console', JSON.stringify({ access_token: 'new' })),
        ),
      },
    }
    globalThis.URL.createObjectURL = vi.fn(() => 'blob:x')
    globalThis.URL.revokeObjectURL = vi.fn()
    const blob = await downloadFile(session, '/intake/batches/1/errors.csv', 'e.csv', {
      fetchImpl,
      storage,
    })
    expect(await blob.text()).toBe('a,b')
    expect(seen).toEqual(['Bearer old', 'Bearer new'])
    expect(fetchImpl.mock.calls[0][0]).toBe('/api/v1/intake/batches/1/errors.csv')
  })
})
