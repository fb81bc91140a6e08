import { describe, expect, it } from 'vitest'
import { ApiError } from '../../shared/api.js'
import {
  activeFilterCount,
  autoAssignSummary,
  emptyFilters,
  formatFen,
  refusalReasons,
  sortLoad,
  statusTagType,
  taskActions,
  taskPermissions,
  taskQuery,
} from './tasks.js'

const as = (...roles) => ({ hasRole: (role) => roles.includes(role) })
const parse = (qs) => [...new URLSearchParams(qs).entries()]

describe('taskQuery', () => {
  it('sends only the limit when nothing is filtered', () => {
    expect(taskQuery(emptyFilters())).toBe('limit=50')
  })

  it('repeats status for each one chosen, as the server reads a list', () => {
    const filters = { ...emptyFilters(), status: ['unassigned', 'returned'] }
    expect(parse(taskQuery(filters))).toEqual([
      ['status', 'unassigned'],
      ['status', 'returned'],
      ['limit', '50'],
    ])
  })

  it('maps every filter to its parameter and trims the search', () => {
    const filters = {
      status: ['recontact', 'bogus'],
      item: 'grace_period',
      source: 'phone_failed',
      overdue: true,
      institution_id: 3,
      assignee_id: '7',
      q: '  张三 ',
      due_from: '2026-12-01',
      due_to: '2026-12-31',
    }
    expect(parse(taskQuery(filters, { cursor: 'MjAyNi0xMi0zMXw0Mg==', limit: 20 }))).toEqual([
      ['status', 'recontact'],
      ['item', 'grace_period'],
      ['source', 'phone_failed'],
      ['institution_id', '3'],
      ['assignee_id', '7'],
      ['overdue', 'true'],
      ['q', '张三'],
      ['due_from', '2026-12-01'],
      ['due_to', '2026-12-31'],
      ['limit', '20'],
      ['cursor', 'MjAyNi0xMi0zMXw0Mg=='],
    ])
  })

  it('leaves out a blank search and an unticked overdue box', () => {
    const filters = { ...emptyFilters(), q: '   ', overdue: false }
    expect(taskQuery(filters)).toBe('limit=50')
  })

  it('swaps a date range typed backwards', () => {
    const filters = { ...emptyFilters(), due_from: '2027-01-31', due_to: '2027-01-01' }
    expect(parse(taskQuery(filters)).slice(0, 2)).toEqual([
      ['due_from', '2027-01-01'],
      ['due_to', '2027-01-31'],
    ])
  })

  it('keeps a search within the 60 characters the server accepts', () => {
    const filters = { ...emptyFilters(), q: 'x'.repeat(80) }
    expect(new URLSearchParams(taskQuery(filters)).get('q')).toHaveLength(60)
  })

  it('counts the filters in use, the search box aside', () => {
    expect(activeFilterCount(emptyFilters())).toBe(0)
    const filters = { ...emptyFilters(), status: ['assigned'], overdue: true, q: '张' }
    expect(activeFilterCount(filters)).toBe(2)
  })
})

describe('what a user may do with a task', () => {
  it('lets supervisors and administrators assign and cancel, phone agents re-contact only', () => {
    expect(taskPermissions(as('supervisor'))).toEqual({
      assign: true,
      autoAssign: true,
      cancel: true,
      recontact: true,
    })
    expect(taskPermissions(as('phone_agent'))).toEqual({
      assign: false,
      autoAssign: false,
      cancel: false,
      recontact: true,
    })
    expect(Object.values(taskPermissions(as('reviewer', 'compliance_officer')))).toEqual([
      false,
      false,
      false,
      false,
    ])
  })

  it('offers only the actions the status admits', () => {
    const all = taskPermissions(as('admin'))
    expect(taskActions({ status: 'recontact' }, all)).toEqual({
      assign: false,
      recontact: true,
      cancel: true,
    })
    expect(taskActions({ status: 'assigned' }, all)).toEqual({
      assign: true,
      recontact: false,
      cancel: true,
    })
    expect(taskActions({ status: 'closed' }, all)).toEqual({
      assign: false,
      recontact: false,
      cancel: false,
    })
    const agent = taskPermissions(as('phone_agent'))
    expect(taskActions({ status: 'recontact' }, agent)).toEqual({
      assign: false,
      recontact: true,
      cancel: false,
    })
  })
})

describe('refused assignments', () => {
  const tasks = [
    { id: 11, policy: { policy_number: 'P00000011' } },
    { id: 12, policy: { policy_number: 'P00000012' } },
    { id: 13, policy: { policy_number: 'P00000013' } },
  ]
  const refused = new ApiError({
    status: 409,
    code: 'assignment_refused',
    message: '部分任务不能分配给该专员，未做任何分配',
    messageEn: 'Some tasks cannot go to this specialist; nothing was assigned',
    details: {
      tasks: {
        13: {
          code: 'assignee_is_salesperson',
          message: '该专员登记为销售人员，销售人员不得上门回访',
          message_en: 'The specialist is registered as a salesperson; salespersons may not visit',
          details: { user_id: 5 },
        },
        11: {
          code: 'task_not_open',
          message: '该任务已结束或已转出，不能再分配',
          message_en: 'The task is no longer open for assignment',
          details: { status: 'closed' },
        },
      },
    },
  })

  it('names each refused task by its policy number, in the order of the list, with the reason', () => {
    expect(refusalReasons(refused, tasks, 'zh-CN')).toEqual([
      {
        taskId: 11,
        policyNumber: 'P00000011',
        code: 'task_not_open',
        message: '该任务已结束或已转出，不能再分配',
      },
      {
        taskId: 13,
        policyNumber: 'P00000013',
        code: 'assignee_is_salesperson',
        message: '该专员登记为销售人员，销售人员不得上门回访',
      },
    ])
  })

  it('speaks English when the page does', () => {
    expect(refusalReasons(refused, tasks, 'en').map((r) => r.message)).toEqual([
      'The task is no longer open for assignment',
      'The specialist is registered as a salesperson; salespersons may not visit',
    ])
  })

  it('still names a task it does not know, by id', () => {
    const [reason] = refusalReasons(refused, [], 'zh-CN')
    expect(reason).toMatchObject({ taskId: 11, policyNumber: null })
  })

  it('gives nothing for other errors', () => {
    const other = new ApiError({ status: 404, code: 'not_found', message: '专员不存在' })
    expect(refusalReasons(other, tasks, 'zh-CN')).toEqual([])
    expect(refusalReasons(null, tasks, 'zh-CN')).toEqual([])
  })
})

describe('auto-assignment answer', () => {
  it('counts assigned and skipped tasks and groups the reasons', () => {
    const result = {
      assigned: { 1: 5, 2: 5, 3: 6 },
      skipped: { 4: 'no_eligible_specialist', 9: 'no_eligible_specialist' },
    }
    expect(autoAssignSummary(result)).toEqual({
      assigned: 3,
      skipped: 2,
      reasons: { no_eligible_specialist: 2 },
    })
    expect(autoAssignSummary({ assigned: {}, skipped: {} })).toEqual({
      assigned: 0,
      skipped: 0,
      reasons: {},
    })
  })
})

describe('team load order', () => {
  const row = (id, open, overdue, due_soon) => ({ user: { id }, open, overdue, due_soon })
  it('puts the most overdue first, then the soonest due, then the busiest', () => {
    const rows = [row(1, 5, 0, 1), row(2, 3, 2, 0), row(3, 9, 0, 1), row(4, 1, 2, 1)]
    expect(sortLoad(rows).map((r) => r.user.id)).toEqual([4, 2, 3, 1])
    expect(sortLoad(rows, 'open').map((r) => r.user.id)).toEqual([3, 1, 2, 4])
    expect(rows[0].user.id).toBe(1) // the input is left alone
  })
})

describe('formatFen', () => {
  it('shows integer fen as yuan with two decimals and thousands separators', () => {
    expect(formatFen(500000)).toBe('5,000.00')
    expect(formatFen(100000)).toBe('1,000.00')
    expect(formatFen(99)).toBe('0.99')
    expect(formatFen(123456789012)).toBe('1,234,567,890.12')
    expect(formatFen(-150)).toBe('-1.50')
    expect(formatFen(null)).toBe('')
  })
})

describe('statusTagType', () => {
  it('draws attention to tasks waiting on someone and greys out those gone', () => {
    expect(statusTagType('recontact')).toBe('warning')
    expect(statusTagType('unassigned')).toBe('primary')
    expect(statusTagType('closed')).toBe('success')
    expect(statusTagType('cancelled')).toBe('default')
  })
})
