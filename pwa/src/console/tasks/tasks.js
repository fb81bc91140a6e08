// Plain logic of the visit task pages: filters → query string, what a user may do with a task,
// and how the server's answers to assignment are told to people. No Vue in here.

/** The life of a task (server/tasks/models.py STATUSES), in the order people think of it. */
export const TASK_STATUSES = [
  'recontact',
  'unassigned',
  'assigned',
  'returned',
  'submitted',
  'closed',
  'to_phone',
  'to_letter',
  'cancelled',
]
export const OPEN_STATUSES = ['recontact', 'unassigned', 'assigned', 'returned']
/** Statuses the server accepts in POST /tasks/assign. */
export const ASSIGNABLE_STATUSES = ['unassigned', 'assigned', 'returned']
/** R1 business items and R12–R15 sources (server/policies/facts.py). */
export const ITEMS = ['new_business', 'grace_period', 'lapse', 'surrender', 'claim', 'other']
export const SOURCES = ['no_phone', 'phone_refused', 'phone_failed', 'explanation', 're_sign']
export const RECONTACT_OUTCOMES = ['phone_updated', 'no_phone', 'letter']

export const PAGE_SIZE = 50
const Q_MAX = 60 // the server refuses longer searches

export function emptyFilters() {
  return {
    status: [],
    item: '',
    source: '',
    overdue: false,
    institution_id: '',
    assignee_id: '',
    q: '',
    due_from: '',
    due_to: '',
  }
}

/**
 * The query string of GET /tasks for these filters. `status` is a list the server reads as a
 * repeated parameter (status=a&status=b), which the shared client's query object cannot express,
 * so the whole string is built here.
 */
export function taskQuery(filters, { limit = PAGE_SIZE, cursor = null } = {}) {
  const params = new URLSearchParams()
  for (const status of filters.status ?? []) {
    if (TASK_STATUSES.includes(status)) params.append('status', status)
  }
  for (const key of ['item', 'source', 'institution_id', 'assignee_id']) {
    const value = filters[key]
    if (value !== '' && value !== null && value !== undefined) params.append(key, String(value))
  }
  if (filters.overdue) params.append('overdue', 'true')
  const q = (filters.q ?? '').trim().slice(0, Q_MAX)
  if (q) params.append('q', q)
  // A range typed backwards still means the days between the two dates.
  let [from, to] = [filters.due_from || '', filters.due_to || '']
  if (from && to && from > to) [from, to] = [to, from]
  if (from) params.append('due_from', from)
  if (to) params.append('due_to', to)
  params.append('limit', String(limit))
  if (cursor) params.append('cursor', cursor)
  return params.toString()
}

/** How many filters differ from the empty set (for the phone's "filters (3)" button). */
export function activeFilterCount(filters) {
  const empty = emptyFilters()
  return Object.keys(empty).filter((key) => {
    if (key === 'q') return false // the search box is always in view
    const value = filters[key]
    return Array.isArray(value) ? value.length > 0 : value !== empty[key]
  }).length
}

/** What the signed-in user's roles allow on the task pages (the server checks again). */
export function taskPermissions(session) {
  const any = (...roles) => roles.some((role) => session.hasRole(role))
  return {
    assign: any('supervisor', 'admin'),
    autoAssign: any('supervisor', 'admin'),
    cancel: any('supervisor', 'admin'),
    recontact: any('supervisor', 'admin', 'phone_agent'),
  }
}

/** The actions to offer on one task: what the roles allow and what its status admits. */
export function taskActions(task, permissions) {
  const status = task?.status
  return {
    assign: permissions.assign && ASSIGNABLE_STATUSES.includes(status),
    recontact: permissions.recontact && status === 'recontact', // R12
    cancel: permissions.cancel && OPEN_STATUSES.includes(status),
  }
}

/**
 * The per-task reasons of a refused assignment (409 assignment_refused, details.tasks =
 * {task_id: {code, message, message_en}}), in the order of `tasks`, each with its policy number.
 * Any other error gives [].
 */
export function refusalReasons(err, tasks, locale) {
  if (err?.code !== 'assignment_refused') return []
  const refused = err.details?.tasks ?? {}
  const byId = new Map((tasks ?? []).map((task) => [String(task.id), task]))
  const order = [...byId.keys()]
  const ids = Object.keys(refused).sort((a, b) => {
    const ia = order.indexOf(a)
    const ib = order.indexOf(b)
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || Number(a) - Number(b)
  })
  return ids.map((id) => {
    const problem = refused[id] ?? {}
    const text =
      locale === 'en'
        ? problem.message_en || problem.message || problem.code
        : problem.message || problem.message_en || problem.code
    return {
      taskId: Number(id),
      policyNumber: byId.get(id)?.policy?.policy_number ?? null,
      code: problem.code ?? 'unknown_error',
      message: text ?? '',
    }
  })
}

/** Counts of an auto-assignment answer ({assigned: {task: user}, skipped: {task: reason}}). */
export function autoAssignSummary(result) {
  const assigned = Object.keys(result?.assigned ?? {}).length
  const skippedEntries = Object.values(result?.skipped ?? {})
  const reasons = {}
  for (const reason of skippedEntries) reasons[reason] = (reasons[reason] ?? 0) + 1
  return { assigned, skipped: skippedEntries.length, reasons }
}

/** 500000 fen → "5,000.00" (money is integer fen; no float arithmetic on it). */
export function formatFen(fen) {
  if (fen === null || fen === undefined || fen === '') return ''
  const value = BigInt(fen)
  const negative = value < 0n
  const abs = negative ? -value : value
  const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${yuan}.${cents}`
}

/** Team load rows, the heaviest first by `key` (open | overdue | due_soon), then by the others. */
export function sortLoad(rows, key = 'overdue') {
  const order = [key, ...['overdue', 'due_soon', 'open'].filter((k) => k !== key)]
  return [...(rows ?? [])].sort((a, b) => {
    for (const k of order) if (b[k] !== a[k]) return b[k] - a[k]
    return a.user.id - b.user.id
  })
}

/** The colour of a status tag: attention for work waiting on someone, grey for work gone. */
export function statusTagType(status) {
  if (status === 'recontact' || status === 'returned') return 'warning'
  if (status === 'closed') return 'success'
  if (['cancelled', 'to_phone', 'to_letter'].includes(status)) return 'default'
  return 'primary'
}
