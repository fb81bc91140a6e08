import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSession, memoryStorage } from '../../shared/auth.js'
import { createAppI18n } from '../../shared/i18n.js'
import { apiError, response, sentBody } from '../../test/http.js'
import AssignSheet from './AssignSheet.vue'

const LOAD = {
  items: [
    {
      user: { id: 5, display_name: '王专员', username: 'specialist1' },
      institution_name: '历下区',
      open: 4,
      overdue: 1,
      due_soon: 2,
    },
    {
      user: { id: 9, display_name: '张专员', username: 'specialist3' },
      institution_name: '市中区',
      open: 0,
      overdue: 0,
      due_soon: 0,
    },
  ],
}
const TASKS = [
  { id: 21, status: 'unassigned', assignee: null, policy: { policy_number: 'P00000021' } },
  { id: 22, status: 'unassigned', assignee: null, policy: { policy_number: 'P00000022' } },
]

let mounted = null
afterEach(() => {
  mounted?.unmount()
  mounted = null
  document.body.innerHTML = ''
})

function setup(answer) {
  const fetch = vi.fn(async (url) => (url.endsWith('/tasks/load') ? response(200, LOAD) : answer()))
  const storage = memoryStorage()
  storage.setItem(
    'huifang.session.console',
    JSON.stringify({
      access_token: 'A',
      refresh_token: 'R',
      user: { id: 1, roles: ['supervisor'] },
    }),
  )
  const session = createSession('console', { storage, fetch })
  const wrapper = mount(AssignSheet, {
    props: { show: true, tasks: TASKS },
    global: { plugins: [createAppI18n(), session] },
    attachTo: document.body,
  })
  mounted = wrapper
  return { wrapper, fetch }
}

async function pickAndSubmit(wrapper, username) {
  await flushPromises()
  const row = document.querySelector(
    `[data-testid="assign-specialist"][data-username="${username}"]`,
  )
  row.querySelector('input').click()
  await flushPromises()
  document.querySelector('[data-testid="assign-submit"]').closest('form').requestSubmit()
  await flushPromises()
}

describe('AssignSheet', () => {
  it('shows each specialist with open and overdue counts', async () => {
    setup(() => response(200, { items: [] }))
    await flushPromises()
    const rows = document.querySelectorAll('[data-testid="assign-specialist"]')
    expect(rows).toHaveLength(2)
    expect(rows[0].textContent).toContain('王专员')
    expect(rows[0].textContent).toContain('在办 4')
    expect(rows[0].textContent).toContain('逾期 1')
  })

  it('assigns the chosen tasks and reports them', async () => {
    const assigned = TASKS.map((t) => ({ ...t, status: 'assigned', assignee: LOAD.items[0].user }))
    const { wrapper, fetch } = setup(() => response(200, { items: assigned, next_cursor: null }))
    await pickAndSubmit(wrapper, 'specialist1')
    const call = fetch.mock.calls.find(([url]) => url.endsWith('/tasks/assign'))
    expect(sentBody(call)).toEqual({ task_ids: [21, 22], assignee_id: 5 })
    expect(wrapper.emitted('assigned')[0][0]).toEqual(assigned)
    expect(wrapper.emitted('update:show')[0]).toEqual([false])
  })

  it('says per task why an assignment was refused', async () => {
    const { wrapper } = setup(() =>
      apiError(
        409,
        'assignment_refused',
        '部分任务不能分配给该专员，未做任何分配',
        'Some tasks cannot go to this specialist; nothing was assigned',
        {
          tasks: {
            22: {
              code: 'assignee_is_salesperson',
              message: '该专员登记为销售人员，销售人员不得上门回访',
              message_en: 'The specialist is registered as a salesperson',
              details: {},
            },
          },
        },
      ),
    )
    await pickAndSubmit(wrapper, 'specialist3')
    const reasons = [...document.querySelectorAll('[data-testid="assign-refusal"]')]
    expect(reasons).toHaveLength(1)
    expect(reasons[0].dataset.taskId).toBe('22')
    expect(reasons[0].textContent).toContain('P00000022')
    expect(reasons[0].textContent).toContain('该专员登记为销售人员，销售人员不得上门回访')
    expect(document.querySelector('[data-testid="form-error"]').textContent).toContain(
      '未做任何分配',
    )
    expect(wrapper.emitted('assigned')).toBeUndefined()
  })

  it('asks for a specialist before sending anything', async () => {
    const { fetch } = setup(() => response(200, { items: [] }))
    await flushPromises()
    document.querySelector('[data-testid="assign-submit"]').closest('form').requestSubmit()
    await flushPromises()
    expect(document.body.textContent).toContain('请选择一位专员')
    expect(fetch.mock.calls.some(([url]) => url.endsWith('/tasks/assign'))).toBe(false)
  })
})
