import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSession, memoryStorage } from '../../shared/auth.js'
import { createAppI18n } from '../../shared/i18n.js'
import { response } from '../../test/http.js'
import SearchPage from './SearchPage.vue'

const POLICY = {
  id: 3,
  policy_number: 'P2026370102000000003',
  product_name: '鑫福年年终身寿险',
  product_type: 'traditional',
  channel: 'agency',
  holder_name: '张三丰',
  holder_id_number: '3701**********1234',
  holder_phone: '139****5678',
  insured_name: '张三丰',
}
const TASK = {
  id: 21,
  status: 'assigned',
  item: 'new_business',
  source: 'no_phone',
  due_date: '2026-12-01',
  overdue: false,
  created_at: '2026-11-20T02:00:00+00:00',
  institution: { id: 4, name: '历下区' },
  assignee: { id: 9, name: '王专员' },
  policy: POLICY,
}
const VISIT = {
  uuid: 'u-1',
  task_id: 21,
  outcome: 'completed',
  state: 'submitted',
  review_state: 'pending',
  flags: [],
  item: 'new_business',
  source: 'no_phone',
  received_at: '2026-11-21T02:00:00+00:00',
  institution: { id: 4, name: '历下区' },
  specialist: { id: 9, name: '王专员' },
  policy: POLICY,
}

let mounted = null
afterEach(() => {
  mounted?.unmount()
  mounted = null
})

function setup() {
  const fetch = vi.fn(async (url) => {
    if (url.startsWith('/api/v1/institutions')) return response(200, { items: [] })
    if (url.startsWith('/api/v1/search/visits'))
      return response(200, { items: [VISIT], next_cursor: null })
    return response(200, { items: [TASK], next_cursor: 'NEXT' })
  })
  const storage = memoryStorage()
  storage.setItem(
    'huifang.session.console',
    JSON.stringify({ access_token: 'A', refresh_token: 'R', user: { id: 1, roles: ['reviewer'] } }),
  )
  const session = createSession('console', { storage, fetch })
  const wrapper = mount(SearchPage, {
    global: { plugins: [createAppI18n(), session], stubs: { 'router-link': true } },
  })
  mounted = wrapper
  return { wrapper, fetch }
}

const searched = (fetch) =>
  fetch.mock.calls.map((c) => c[0]).filter((url) => url.startsWith('/api/v1/search/'))

describe('SearchPage', () => {
  it('shows the newest tasks first, masked as the server sent them, and pages on', async () => {
    const { wrapper, fetch } = setup()
    await flushPromises()
    expect(searched(fetch)).toEqual(['/api/v1/search/tasks?limit=50'])
    const row = wrapper.get('[data-testid="search-row"]')
    expect(row.text()).toContain('P2026370102000000003')
    expect(row.text()).toContain('3701**********1234')
    expect(row.text()).toContain('已分配')
    await wrapper.get('[data-testid="search-load-more"]').trigger('click')
    await flushPromises()
    expect(searched(fetch).at(-1)).toBe('/api/v1/search/tasks?limit=50&cursor=NEXT')
    expect(wrapper.findAll('[data-testid="search-row"]')).toHaveLength(2)
  })

  it('searches another kind with what was typed', async () => {
    const { wrapper, fetch } = setup()
    await flushPromises()
    await wrapper.get('[data-testid="search-q"]').setValue('张三丰')
    await wrapper.get('[data-testid="search-kind-visits"]').trigger('click')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const last = searched(fetch).at(-1)
    expect(last.startsWith('/api/v1/search/visits?')).toBe(true)
    expect(new URLSearchParams(last.split('?')[1]).get('q')).toBe('张三丰')
    expect(wrapper.get('[data-testid="search-row"]').text()).toContain('待审核')
  })
})
