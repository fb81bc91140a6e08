// 审计日志 (issue #11): the filters of the audit search as the API takes them, and how an event
// reads to an administrator.

/** The actions an administrator looks for most often, offered in the filter with their names. */
export const COMMON_ACTIONS = [
  'personal_data_read',
  'login',
  'login_failed',
  'account_locked',
  'device_registered',
  'device_revoked',
  'refresh_family_revoked',
  'passkey_registered',
  'passkey_removed',
  'user_created',
  'user_updated',
  'user_password_reset',
  'search_exported',
  'stats_report_exported',
  'evidence_report',
  'evidence_exported',
  'visit_media_viewed',
  'callback_recording_played',
  'letter_scan_viewed',
  'policies_upserted',
  'intake_imported',
  'tasks_assigned',
  'task_cancelled',
  'visit_returned',
  'case_opened',
  'case_resolved',
  'institution_created',
  'institution_updated',
]

const ACTION_CODE = /^[a-z0-9_.:-]{1,64}$/

/** Action codes from the picker and the free text (commas or spaces), distinct, at most 20. */
export function parseActions(picked, text) {
  const codes = [picked, ...String(text ?? '').split(/[\s,，]+/)]
    .map((code) => (code ?? '').trim())
    .filter((code) => ACTION_CODE.test(code))
  return [...new Set(codes)].slice(0, 20)
}

/** The start of a day (YYYY-MM-DD) in Beijing time, as an ISO time with its zone. */
export function dayStart(day) {
  return /^\d{4}-\d{2}-\d{2}$/.test(day ?? '') ? `${day}T00:00:00+08:00` : null
}

/** The start of the day after `day` in Beijing time: the exclusive end of a range ending on `day`. */
export function dayAfter(day) {
  if (!dayStart(day)) return null
  const next = new Date(`${day}T00:00:00Z`)
  next.setUTCDate(next.getUTCDate() + 1)
  return `${next.toISOString().slice(0, 10)}T00:00:00+08:00`
}

/** The query of GET /audit-events for these filters (empty ones left out). */
export function auditQuery(filters, cursor = null, limit = 50) {
  const query = { limit }
  const actions = parseActions(filters.action, filters.actionCodes)
  if (actions.length) query.action = actions
  for (const key of ['actor', 'target_type', 'target_id']) {
    const value = String(filters[key] ?? '').trim()
    if (value) query[key] = value
  }
  if (filters.institution_id) query.institution_id = filters.institution_id
  const from = dayStart(filters.from)
  const to = dayAfter(filters.to)
  if (from) query.at_from = from
  if (to) query.at_to = to
  if (cursor) query.cursor = cursor
  return query
}

/** The name of an action in the page's language, or its code when it has none. */
export function actionLabel(code, t, te) {
  const key = `audit.actions.${code}`
  return te(key) ? t(key) : code
}

/** For a personal-data read: how many records of which kinds, e.g. [{type: 'policy', count: 3}]. */
export function readTargets(event) {
  const targets = event?.data?.targets
  if (!targets || typeof targets !== 'object') return []
  return Object.entries(targets).map(([type, t]) => ({
    type,
    count: t?.count ?? 0,
    ids: Array.isArray(t?.ids) ? t.ids : [],
    truncated: Boolean(t?.ids_truncated),
  }))
}

/** The event's data as indented JSON for the details panel. */
export function dataText(event) {
  const data = event?.data ?? {}
  return Object.keys(data).length ? JSON.stringify(data, null, 2) : ''
}
