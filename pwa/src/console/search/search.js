// Plain logic of the search page (回访查询, R4): what each kind can be filtered by, filters → the
// query string of GET /search/{kind} and of its export, and where a result leads. No Vue in here.
import { ITEMS, SOURCES, TASK_STATUSES } from '../tasks/tasks.js'

/** The kinds the server searches (server/search/services.py KINDS), in the order people look. */
export const KINDS = ['tasks', 'visits', 'callbacks', 'cases', 'policies']
export const PAGE_SIZE = 50
export const FORMATS = ['xlsx', 'csv']

export const PRODUCT_TYPES = ['traditional', 'participating', 'universal', 'unit_linked']
export const CHANNELS = ['agency', 'bank', 'telemarketing', 'broker', 'internet', 'direct']
/** server/tasks/models.py STATUSES (the search offers 'approved' too), cases and callbacks. */
export const STATUSES = {
  tasks: [...TASK_STATUSES.slice(0, 5), 'approved', ...TASK_STATUSES.slice(5)],
  cases: ['open', 'in_progress', 'resolved'],
  callbacks: ['pending', 'done', 'to_letter', 'recontact'],
}
export const OUTCOMES = {
  visits: ['completed', 'not_at_home', 'refused', 'wrong_address', 'postponed'],
  callbacks: [
    // confirming callbacks (R14)
    'confirmed',
    'not_visited',
    'signature_not_genuine',
    'not_understood',
    'unreachable',
    // first calls (R11)
    'answered',
    'wants_explanation',
    'unsigned_papers',
    'misconduct',
    'phone_refused',
    'wants_letter',
  ],
}
export const REVIEW_STATES = ['pending', 'approved', 'returned', 'rejected']
export const CASE_KINDS = ['problem', 'compliance', 're_sign']
/** server/callbacks/models.py KINDS: the first call of an item (R11), the confirming callback (R14). */
export const CALLBACK_KINDS = ['first_call', 'confirmation']
export { ITEMS, SOURCES }

/** Which filters each kind has, beyond the person fields and the institution every kind has. */
export const KIND_FILTERS = {
  policies: ['product_type', 'channel', 'date_from', 'date_to'],
  tasks: [
    'status',
    'item',
    'source',
    'product_type',
    'channel',
    'overdue',
    'date_from',
    'date_to',
    'due_from',
    'due_to',
  ],
  visits: [
    'outcome',
    'review_state',
    'item',
    'source',
    'product_type',
    'channel',
    'date_from',
    'date_to',
  ],
  callbacks: [
    'kind',
    'status',
    'outcome',
    'item',
    'source',
    'product_type',
    'channel',
    'date_from',
    'date_to',
    'due_from',
    'due_to',
  ],
  cases: [
    'status',
    'kind',
    'category',
    'product_type',
    'channel',
    'overdue',
    'date_from',
    'date_to',
    'due_from',
    'due_to',
  ],
}
const LISTS = ['status', 'outcome', 'review_state']
const PERSON = ['q', 'policy_number', 'name', 'id_number', 'phone']
const LIMITS = { q: 60, policy_number: 40, name: 50, id_number: 40, phone: 30, category: 64 }

export function emptyFilters() {
  return {
    q: '',
    policy_number: '',
    name: '',
    id_number: '',
    phone: '',
    institution_id: '',
    status: [],
    outcome: [],
    review_state: [],
    item: '',
    source: '',
    product_type: '',
    channel: '',
    kind: '',
    category: '',
    overdue: false,
    date_from: '',
    date_to: '',
    due_from: '',
    due_to: '',
  }
}

export const hasFilter = (kind, key) => (KIND_FILTERS[kind] ?? []).includes(key)

function ordered(from, to) {
  // A range typed backwards still means the days between the two dates.
  return from && to && from > to ? [to, from] : [from, to]
}

/** The filters of `kind` as URLSearchParams (lists as repeated keys, empty values left out). */
export function filterParams(kind, filters) {
  const params = new URLSearchParams()
  for (const key of PERSON) {
    const value = (filters[key] ?? '').trim().slice(0, LIMITS[key])
    if (value) params.append(key, value)
  }
  if (filters.institution_id !== '' && filters.institution_id != null) {
    params.append('institution_id', String(filters.institution_id))
  }
  for (const key of KIND_FILTERS[kind] ?? []) {
    if (LISTS.includes(key)) {
      const allowed =
        key === 'status' ? STATUSES[kind] : key === 'outcome' ? OUTCOMES[kind] : REVIEW_STATES
      for (const value of filters[key] ?? [])
        if (allowed?.includes(value)) params.append(key, value)
    } else if (key === 'overdue') {
      if (filters.overdue) params.append('overdue', 'true')
    } else if (!['date_from', 'date_to', 'due_from', 'due_to'].includes(key)) {
      const value = String(filters[key] ?? '').trim()
      if (value) params.append(key, value.slice(0, LIMITS[key] ?? 64))
    }
  }
  for (const [a, b] of [
    ['date_from', 'date_to'],
    ['due_from', 'due_to'],
  ]) {
    if (!hasFilter(kind, a)) continue
    const [from, to] = ordered(filters[a] || '', filters[b] || '')
    if (from) params.append(a, from)
    if (to) params.append(b, to)
  }
  return params
}

/** The query string of one page of GET /search/{kind}. */
export function searchQuery(kind, filters, { limit = PAGE_SIZE, cursor = null } = {}) {
  const params = filterParams(kind, filters)
  params.append('limit', String(limit))
  if (cursor) params.append('cursor', cursor)
  return params.toString()
}

/** The path and query of an export: every filter, no page. */
export function exportPath(kind, filters, format = 'xlsx', lang = 'zh') {
  const params = filterParams(kind, filters)
  params.append('format', FORMATS.includes(format) ? format : 'xlsx')
  params.append('lang', lang === 'en' ? 'en' : 'zh')
  return `/search/${kind}/export?${params.toString()}`
}

/** How many filters are set besides the search box (for the "filters (3)" button). */
export function activeFilterCount(kind, filters) {
  const keys = [
    'policy_number',
    'name',
    'id_number',
    'phone',
    'institution_id',
    ...(KIND_FILTERS[kind] ?? []),
  ]
  const empty = emptyFilters()
  return keys.filter((key) => {
    const value = filters[key]
    return Array.isArray(value) ? value.length > 0 : value !== empty[key] && value != null
  }).length
}

/**
 * The file name a Content-Disposition header gives (RFC 6266: filename* wins over filename), or
 * `fallback` when there is none.
 */
export function filenameOf(header, fallback) {
  if (!header) return fallback
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      // a broken encoding: try the plain form
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header)
  const name = plain ? (plain[1] ?? plain[2]).trim() : ''
  return name || fallback
}

/** Where a result is opened in the console, or null when it has no page of its own. */
export function resultLink(kind, item) {
  if (kind === 'visits') return { name: 'visit', params: { uuid: item.uuid } }
  if (kind === 'cases') return { name: 'case', params: { id: String(item.id) } }
  if ((kind === 'callbacks' || kind === 'tasks') && item.visit_uuid) {
    return { name: 'visit', params: { uuid: item.visit_uuid } }
  }
  return null
}

/**
 * The status of a result as [locale group, code] for labels.of(group, code): a visit shows its
 * review state, or its own state while it is not in review.
 */
export function statusOf(kind, item) {
  if (kind === 'visits') {
    return item.review_state
      ? ['search.reviewStates', item.review_state]
      : ['search.visitStates', item.state]
  }
  const group = {
    tasks: 'search.taskStatuses',
    callbacks: 'search.callbackStatuses',
    cases: 'search.caseStatuses',
  }
  return group[kind] ? [group[kind], item.status] : [null, null]
}

/** What the "kind" filter of a kind offers: [label key, locale group of the codes, codes]. */
export function kindOptions(kind) {
  if (kind === 'cases') return ['search.caseKind', 'search.caseKinds', CASE_KINDS]
  if (kind === 'callbacks') return ['search.callbackKind', 'search.callbackKinds', CALLBACK_KINDS]
  return null
}
