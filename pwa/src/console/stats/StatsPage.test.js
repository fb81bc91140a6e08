import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSession, memoryStorage } from '../../shared/auth.js'
import { createAppI18n } from '../../shared/i18n.js'
import { response } from '../../test/http.js'
import StatsPage from './StatsPage.vue'

const figures = (tasks, extra = {}) => ({
  tasks,
  tasks_completed: tasks - 1,
  tasks_on_time: tasks - 2,
  tasks_overdue_open: 1,
  tasks_cancelled: 0,
  visits: tasks,
  visits_completed: tasks,
  visits_approved: tasks - 1,
  visits_returned: 0,
  visits_rejected: 0,
  callbacks: 2,
  callbacks_done: 2,
  callbacks_confirmed: 1,
  first_calls: 0,
  first_calls_done: 0,
  cases_opened: 1,
  cases_resolved: 0,
  cases_open: 1,
  completion_rate: 0.8,
  on_time_rate: 0.75,
  confirm_rate: 0.5,
  avg_days_to_close: null,
  ...extra,
})
const overview = (by, groups, institution = { id: 1, name: '山东省', level: 'province' }) => ({
  period: { month_from: '2025-12', month_to: '2026-11', months: ['2025-12', '2026-11'] },
  institution,
  breadcrumb: [institution],
  by,
  totals: figures(10),
  breakdowns: {
    task_status: { assigned: 3 },
    visit_outcome: { completed: 10 },
    review_state: {},
    callback_outcome: { confirmed: 1 },
    case_category: [],
    open_task_age: [{ bucket: '0-7', count: 3 }],
  },
  groups,
})

let mounted = null
afterEach(() => {
  mounted?.unmount()
  mounted = null
})

function setup() {
  const fetch = vi.fn(async (url) => {
    if (url.startsWith('/api/v1/stats/problems')) {
      return response(200, {
        period: { month_from: '2025-12', month_to: '2026-11', months: ['2025-12', '2026-11'] },
        institution: { id: 1, name: '山东省', level: 'province' },
        categories: [],
      })
    }
    const query = new URLSearchParams(url.split('?')[1])
    if (query.get('by') === 'month') return response(200, overview('month', []))
    if (query.get('institution_id') === '2') {
      return response(
        200,
        overview(
          'institution',
          [{ key: '4', label: '历下区', institution_id: 4, drillable: false, ...figures(6) }],
          {
            id: 2,
            name: '济南市',
            level: 'city',
          },
        ),
      )
    }
    return response(
      200,
      overview('institution', [
        {
          key: '2',
          label: '济南市',
          institution_id: 2,
          drillable: true,
          own_level: false,
          ...figures(6),
        },
        {
          key: '3',
          label: '青岛市',
          institution_id: 3,
          drillable: true,
          own_level: false,
          ...figures(4),
        },
      ]),
    )
  })
  const storage = memoryStorage()
  storage.setItem(
    'huifang.session.console',
    JSON.stringify({ access_token: 'A', refresh_token: 'R', user: { id: 1, roles: ['admin'] } }),
  )
  const session = createSession('console', { storage, fetch })
  const wrapper = mount(StatsPage, {
    global: { plugins: [createAppI18n(), session], stubs: { StatsChart: true } },
  })
  mounted = wrapper
  return { wrapper, fetch }
}

describe('StatsPage', () => {
  it('shows the figures, then drills into an institution', async () => {
    const { wrapper, fetch } = setup()
    await flushPromises()
    const urls = fetch.mock.calls.map((c) => c[0])
    expect(
      urls.some((u) => u.startsWith('/api/v1/stats/overview?') && u.includes('by=institution')),
    ).toBe(true)
    expect(urls.some((u) => u.includes('by=month'))).toBe(true)
    expect(urls.some((u) => u.startsWith('/api/v1/stats/problems'))).toBe(true)
    expect(wrapper.get('[data-kpi="completion_rate"]').text()).toContain('80%')
    expect(wrapper.get('[data-kpi="avg_days_to_close"]').text()).toContain('—')
    const rows = wrapper.findAll('[data-testid="stats-row"]')
    expect(rows.map((r) => r.find('th').text())).toEqual(['济南市', '青岛市'])
    await rows[0].get('[data-testid="stats-drill"]').trigger('click')
    await flushPromises()
    expect(fetch.mock.calls.at(-1)[0]).toContain('institution_id=2')
    expect(wrapper.findAll('[data-testid="stats-row"]').map((r) => r.find('th').text())).toEqual([
      '历下区',
    ])
    expect(wrapper.find('[data-testid="stats-drill"]').exists()).toBe(false)
  })
})
