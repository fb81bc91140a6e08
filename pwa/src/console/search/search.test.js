import { describe, expect, it, vi } from 'vitest'
import { downloadExport } from './download.js'
import {
  KINDS,
  KIND_FILTERS,
  activeFilterCount,
  emptyFilters,
  exportPath,
  filenameOf,
  kindOptions,
  resultLink,
  searchQuery,
  statusOf,
} from './search.js'

const filters = (extra) => ({ ...emptyFilters(), ...extra })
const params = (qs) => new URLSearchParams(qs)

describe('search query', () => {
  it('sends the person fields trimmed and bounded, and nothing empty', () => {
    const p = params(
      searchQuery('tasks', filters({ q: '  张三丰 ', name: 'x'.repeat(80), phone: ' ' })),
    )
    expect(p.get('q')).toBe('张三丰')
    expect(p.get('name')).toHaveLength(50)
    expect(p.has('phone')).toBe(false)
    expect(p.get('limit')).toBe('50')
    expect(p.has('cursor')).toBe(false)
  })

  it('repeats list filters and keeps only the codes of the kind', () => {
    const p = params(
      searchQuery(
        'tasks',
        filters({ status: ['assigned', 'resolved', 'closed'], outcome: ['completed'] }),
      ),
    )
    expect(p.getAll('status')).toEqual(['assigned', 'closed']) // 'resolved' is a case status
    expect(p.has('outcome')).toBe(false) // tasks have no outcome
    const v = params(
      searchQuery('visits', filters({ outcome: ['completed'], review_state: ['pending'] })),
    )
    expect(v.getAll('outcome')).toEqual(['completed'])
    expect(v.getAll('review_state')).toEqual(['pending'])
  })

  it('sends a date range typed backwards in order, and only the ranges of the kind', () => {
    const p = params(
      searchQuery(
        'tasks',
        filters({ date_from: '2026-12-01', date_to: '2026-01-01', due_to: '2026-03-01' }),
      ),
    )
    expect([p.get('date_from'), p.get('date_to'), p.get('due_to')]).toEqual([
      '2026-01-01',
      '2026-12-01',
      '2026-03-01',
    ])
    expect(params(searchQuery('visits', filters({ due_from: '2026-01-01' }))).has('due_from')).toBe(
      false,
    )
  })

  it('carries the cursor and the overdue flag', () => {
    const p = params(
      searchQuery('cases', filters({ overdue: true, institution_id: 4 }), {
        cursor: 'abc',
        limit: 10,
      }),
    )
    expect([p.get('overdue'), p.get('institution_id'), p.get('cursor'), p.get('limit')]).toEqual([
      'true',
      '4',
      'abc',
      '10',
    ])
  })

  it('builds the export path with its format and language, never a page', () => {
    const path = exportPath('visits', filters({ q: '13912345678' }), 'csv', 'en')
    expect(path.startsWith('/search/visits/export?')).toBe(true)
    const p = params(path.split('?')[1])
    expect([p.get('q'), p.get('format'), p.get('lang'), p.has('limit')]).toEqual([
      '13912345678',
      'csv',
      'en',
      false,
    ])
    expect(params(exportPath('tasks', filters(), 'pdf').split('?')[1]).get('format')).toBe('xlsx')
  })

  it('counts the filters set besides the search box', () => {
    expect(activeFilterCount('tasks', filters({ q: 'x' }))).toBe(0)
    expect(
      activeFilterCount('tasks', filters({ status: ['assigned'], id_number: '1', overdue: true })),
    ).toBe(3)
    // A filter the kind does not have does not count.
    expect(activeFilterCount('policies', filters({ status: ['assigned'] }))).toBe(0)
  })

  it('offers the kinds of cases and of callbacks, and sends the chosen one', () => {
    expect(kindOptions('callbacks')[2]).toEqual(['first_call', 'confirmation'])
    expect(kindOptions('cases')[1]).toBe('search.caseKinds')
    expect(kindOptions('tasks')).toBeNull()
    expect(params(searchQuery('callbacks', filters({ kind: 'first_call' }))).get('kind')).toBe(
      'first_call',
    )
    expect(params(searchQuery('tasks', filters({ kind: 'first_call' }))).has('kind')).toBe(false)
  })

  it('knows the filters of every kind', () => {
    for (const kind of KINDS) expect(Array.isArray(KIND_FILTERS[kind])).toBe(true)
  })
})

describe('results', () => {
  it('names the status of each kind in its own words', () => {
    expect(statusOf('tasks', { status: 'assigned' })).toEqual(['search.taskStatuses', 'assigned'])
    expect(statusOf('visits', { review_state: null, state: 'awaiting_media' })).toEqual([
      'search.visitStates',
      'awaiting_media',
    ])
    expect(statusOf('visits', { review_state: 'pending', state: 'submitted' })).toEqual([
      'search.reviewStates',
      'pending',
    ])
    expect(statusOf('policies', {})).toEqual([null, null])
  })

  it('links a result to its page where it has one', () => {
    expect(resultLink('visits', { uuid: 'u-1' })).toEqual({
      name: 'visit',
      params: { uuid: 'u-1' },
    })
    expect(resultLink('cases', { id: 7 })).toEqual({ name: 'case', params: { id: '7' } })
    expect(resultLink('callbacks', { id: 1, visit_uuid: 'u-2' })).toEqual({
      name: 'visit',
      params: { uuid: 'u-2' },
    })
    expect(resultLink('policies', { id: 1 })).toBeNull()
  })
})

describe('file names of downloads', () => {
  it('prefers filename* (UTF-8) over filename, and falls back', () => {
    expect(
      filenameOf(
        `attachment; filename="huifang-tasks.csv"; filename*=UTF-8''%E4%BB%BB%E5%8A%A1.csv`,
        'x',
      ),
    ).toBe('任务.csv')
    expect(filenameOf('attachment; filename="a.xlsx"', 'x')).toBe('a.xlsx')
    expect(filenameOf('attachment; filename=b.csv', 'x')).toBe('b.csv')
    expect(filenameOf(null, 'fallback.csv')).toBe('fallback.csv')
    expect(filenameOf("attachment; filename*=UTF-8''%E0%A4%A", 'f')).toBe('f')
  })
})

describe('downloadExport', () => {
  const storage = () => {
    const items = new Map([['huifang.session.console', JSON.stringify({ access_token: 'tok' })]])
    return {
      getItem: (k) => items.get(k) ?? null,
      setItem: (k, v) => items.set(k, v),
      removeItem: () => {},
    }
  }

  it('writes the answer straight to the chosen file when the browser can', async () => {
    const writable = { abort: vi.fn() }
    const pipeTo = vi.fn(async () => {})
    const fetchImpl = vi.fn(async () => ({
      ok: true,
      status: 200,
      headers: new Headers({ 'Content-Disposition': 'attachment; filename="t.csv"' }),
      body: { pipeTo },
    }))
    const picker = vi.fn(async () => ({ createWritable: async () => writable }))
    const name = await downloadExport({ api: {} }, '/search/tasks/export?format=csv', 's.csv', {
      fetchImpl,
      picker,
      storage: storage(),
    })
    expect(name).toBe('t.csv')
    expect(picker).toHaveBeenCalledWith({ suggestedName: 's.csv' })
    expect(pipeTo).toHaveBeenCalledWith(writable)
    expect(fetchImpl.mock.calls[0][0]).toBe('/api/v1/search/tasks/export?format=csv')
    expect(fetchImpl.mock.calls[0][1].headers.Authorization).toBe('Bearer tok')
  })

  it('does nothing when the save dialog is closed', async () => {
    const fetchImpl = vi.fn()
    const picker = vi.fn(async () => {
      throw Object.assign(new Error('closed'), { name: 'AbortError' })
    })
    expect(await downloadExport({ api: {} }, '/x', 'x.csv', { fetchImpl, picker })).toBeNull()
    expect(fetchImpl).not.toHaveBeenCalled()
  })

  it('refreshes a stale token once and reports the server error', async () => {
    const refresh = vi.fn(async () => {})
    const responses = [
      { ok: false, status: 401, headers: new Headers(), text: async () => '' },
      {
        ok: false,
        status: 403,
        statusText: 'Forbidden',
        headers: new Headers(),
        text: async () =>
          JSON.stringify({ code: 'forbidden', message: '无权', message_en: 'no', details: {} }),
      },
    ]
    const fetchImpl = vi.fn(async () => responses.shift())
    await expect(
      downloadExport({ api: { refresh } }, '/x', 'x.csv', {
        fetchImpl,
        picker: null,
        storage: storage(),
      }),
    ).rejects.toMatchObject({ code: 'forbidden', status: 403 })
    expect(refresh).toHaveBeenCalledOnce()
    expect(fetchImpl).toHaveBeenCalledTimes(2)
  })
})
