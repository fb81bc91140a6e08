// Plain logic of the case pages (问题件; R15 re-sign, R16 compliance): the list's query, which
// actions a user's roles allow on a case, what resolving needs, and each history event in words.
// No Vue in here; words come from the caller's `t`.

/** server/cases/models.py, in the order the console lists them (the weightiest first). */
export const KINDS = ['compliance', 'problem', 're_sign']
export const STATUSES = ['open', 'in_progress', 'resolved']
export const OPEN_STATUSES = ['open', 'in_progress']
export const FINDINGS = ['substantiated', 'unsubstantiated']
export const PAGE_SIZE = 30

/** The server's HANDLERS (server/cases/api.py): they take, annotate and resolve; others read. */
const HANDLERS = ['supervisor', 'reviewer', 'compliance_officer', 'admin']
/** Only these resolve a compliance case (R16). */
const COMPLIANCE_RESOLVERS = ['compliance_officer', 'admin']

export const emptyFilters = () => ({ kind: '', status: '', overdue: false, mine: false })

/** The query of GET /cases for these filters (`me` is the signed-in user's id, for "mine"). */
export function caseQuery(filters, { me = null, cursor = null, limit = PAGE_SIZE } = {}) {
  const query = { limit }
  if (KINDS.includes(filters.kind)) query.kind = filters.kind
  if (STATUSES.includes(filters.status)) query.status = filters.status
  else if (filters.status === 'open_any') query.open = 'true'
  if (filters.overdue) query.overdue = 'true'
  if (filters.mine && me) query.owner_id = me
  if (cursor) query.cursor = cursor
  return query
}

/**
 * What the user may do with this case: {take, note, resolve, blocked} where blocked names why
 * resolving is not offered ('compliance_only', 'read_only', 'resolved') or is null.
 */
export function caseActions(item, session) {
  const roles = (role) => session.hasRole(role)
  const handler = HANDLERS.some(roles)
  const isOpen = OPEN_STATUSES.includes(item?.status)
  if (!isOpen) return { take: false, note: false, resolve: false, blocked: 'resolved' }
  if (!handler) return { take: false, note: false, resolve: false, blocked: 'read_only' }
  const mine = item.owner?.id != null && item.owner.id === session.user?.id
  const complianceOk = item.kind !== 'compliance' || COMPLIANCE_RESOLVERS.some(roles)
  return {
    take: !mine,
    note: true,
    resolve: complianceOk,
    blocked: complianceOk ? null : 'compliance_only',
  }
}

/** The body of POST /cases/<id>/resolve, or the keys of what is missing. */
export function resolveBody(item, resolution, finding) {
  const text = (resolution ?? '').trim()
  const errors = {}
  if (!text) errors.resolution = 'cases.needResolution'
  if (item?.kind === 'compliance' && !FINDINGS.includes(finding)) {
    errors.finding = 'cases.needFinding'
  }
  if (Object.keys(errors).length) return { errors }
  const body = { resolution: text.slice(0, 1000) }
  if (FINDINGS.includes(finding)) body.finding = finding
  return { body }
}

/** One history event in words: {label, text} (text: the note or what changed). */
export function eventView(event, { t, te }) {
  const data = event.data ?? {}
  const known = (key) => (te(`cases.events.${key}`) ? t(`cases.events.${key}`) : key)
  switch (event.action) {
    case 'owner':
      if (!data.to_owner) return { label: known('ownerCleared'), text: '' }
      if (data.to_owner === event.actor?.id) return { label: known('ownerTaken'), text: '' }
      return { label: known('owner'), text: '' }
    case 'due_date':
      return {
        label: t('cases.events.due_date', { before: data.before, after: data.after }),
        text: '',
      }
    case 'resolved':
      return {
        label: known('resolved'),
        text: [
          data.finding && te(`cases.findings.${data.finding}`)
            ? t('cases.findingIs', { finding: t(`cases.findings.${data.finding}`) })
            : '',
          event.note ?? '',
        ]
          .filter(Boolean)
          .join(' · '),
      }
    default:
      return { label: known(event.action), text: event.note ?? '' }
  }
}

export const kindTone = (kind) =>
  ({ compliance: 'danger', problem: 'warning', re_sign: 'primary' })[kind] ?? 'default'
export const statusTone = (status) =>
  ({ open: 'danger', in_progress: 'warning', resolved: 'success' })[status] ?? 'default'
