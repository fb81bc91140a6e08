// Plain logic of the review pages (R14, R16): the queue's query and ages, each flag with what its
// details say (how late, how far, how quick against the minimum, the signature's band), and the
// decision the reviewer is about to send. No Vue in here; words come from the caller's `t`.
import { flagText, formatSpan } from '../visits/visits.js'

export const QUEUE_PAGE_SIZE = 30
export const DECISIONS = ['approve', 'return', 'reject']
export const REVIEW_STATES = ['pending', 'approved', 'returned', 'rejected']

/** How much each flag weighs in the queue's order (server/review/flags.py WEIGHTS). */
export const WEIGHTS = {
  identity_mismatch: 8,
  conflict: 6,
  shared_phone_alert: 5,
  quick_visit: 5,
  far_from_address: 5,
  signature_unusual: 5,
  task_cancelled: 4,
  identity_unverifiable: 3,
  task_reassigned: 3,
  second_visit_for_task: 3,
  outside_working_hours: 2,
  late: 1,
}
const weight = (code) => WEIGHTS[code] ?? 1

/** The query of GET /review/queue. */
export function queueQuery(cursor = null, limit = QUEUE_PAGE_SIZE) {
  return cursor ? { limit, cursor } : { limit }
}

/**
 * How long a visit has waited, coarse: 3天4小时 / 2小时15分 / 25分钟 (3 d 4 h in English); ''
 * under a minute (or unknown), which the page words as "just now".
 */
export function waitingSpan(since, now = Date.now(), locale = 'zh-CN') {
  const at = Date.parse(since ?? '')
  if (!Number.isFinite(at)) return ''
  const ms = Math.max(0, now - at)
  if (ms < 60000) return ''
  const hour = 3600 * 1000
  // Days and hours, or hours and minutes: seconds never matter in a queue.
  const rounded = ms >= 24 * hour ? Math.floor(ms / hour) * hour : Math.floor(ms / 60000) * 60000
  return formatSpan(rounded, locale)
}

/** A Beijing calendar date (YYYY-MM-DD) of an ISO time, or null. */
export function beijingDate(iso) {
  const at = Date.parse(iso ?? '')
  if (!Number.isFinite(at)) return null
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(at))
}

/** Whole days from one YYYY-MM-DD date to another. */
export function daysBetween(from, to) {
  const a = Date.parse(`${from}T00:00:00Z`)
  const b = Date.parse(`${to}T00:00:00Z`)
  return Number.isFinite(a) && Number.isFinite(b) ? Math.round((b - a) / 86400000) : null
}

/** A distance as people read it: 850 米, 3.2 公里. */
export function formatDistance(metres, t) {
  if (!Number.isFinite(metres)) return ''
  if (metres < 1000) return t('review.metres', { n: Math.round(metres) })
  const km = metres / 1000
  return t('review.kilometres', { n: km >= 10 ? Math.round(km) : km.toFixed(1) })
}

const signerName = (signer, { t, te }) =>
  te(`questionnaire.signer.${signer}`) ? t(`questionnaire.signer.${signer}`) : signer

/** The band of a signature comparison in words, with a tag tone. */
export function similarityView(result, { t, te }) {
  const band = result?.band ?? 'no_reference'
  const tone = { typical: 'success', unusual: 'warning', very_unusual: 'danger' }[band] ?? 'default'
  return {
    band,
    tone,
    label: te(`review.similarity.${band}`) ? t(`review.similarity.${band}`) : band,
    references: result?.references ?? 0,
  }
}

/** One flag's details (from the server's flag_details) in one line, or '' when there are none. */
export function flagDetail(code, details, ctx) {
  const { t, locale = 'zh-CN' } = ctx
  const d = details ?? {}
  switch (code) {
    case 'late': {
      const finished = beijingDate(d.finished_at)
      const days = finished && d.due_date ? daysBetween(d.due_date, finished) : null
      if (days === null) return ''
      return t('review.detail.late', { due: d.due_date, finished, days })
    }
    case 'outside_working_hours':
      if (!d.started || !d.finished) return ''
      return t('review.detail.outside_working_hours', { started: d.started, finished: d.finished })
    case 'quick_visit': {
      if (!Number.isFinite(d.seconds) || !Number.isFinite(d.minimum_seconds)) return ''
      const percent = d.minimum_seconds > 0 ? Math.round((100 * d.seconds) / d.minimum_seconds) : 0
      return t('review.detail.quick_visit', {
        took: formatSpan(d.seconds * 1000, locale),
        minimum: formatSpan(d.minimum_seconds * 1000, locale),
        percent,
      })
    }
    case 'far_from_address':
      if (!Number.isFinite(d.metres)) return ''
      return t('review.detail.far_from_address', {
        distance: formatDistance(d.metres, t),
        limit: formatDistance(d.limit_metres ?? 2000, t),
      })
    case 'shared_phone_alert':
      return Array.isArray(d.alert_ids)
        ? t('review.detail.shared_phone_alert', { n: d.alert_ids.length })
        : ''
    case 'conflict':
      return Number.isFinite(d.versions) ? t('review.detail.conflict', { n: d.versions }) : ''
    case 'signature_unusual':
      if (!d.signer) return ''
      return t('review.detail.signature_unusual', {
        signer: signerName(d.signer, ctx),
        band: similarityView({ band: d.band }, ctx).label,
      })
    default:
      return ''
  }
}

/**
 * Every flag of a visit with its name, tone, one-sentence explanation and details, the heaviest
 * first. Codes come from the visit's flags and from flag_details (which may add one the visit
 * does not store, such as an unusual signature).
 */
export function flagViews(flags, flagDetails, ctx) {
  const codes = [...new Set([...(flags ?? []), ...Object.keys(flagDetails ?? {})])]
  codes.sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))
  return codes.map((code) => ({
    ...flagText(code, ctx),
    ...(code === 'signature_unusual' ? { tone: 'danger' } : {}),
    weight: weight(code),
    detail: flagDetail(code, flagDetails?.[code], ctx),
  }))
}

/** The flags of a queue row as tags, heaviest first. */
export function queueFlags(flags, ctx) {
  return flagViews(flags, {}, ctx)
}

/**
 * What the decision bar sends, or what is missing: returning or rejecting needs a reason, and the
 * reason "other" needs a note (the server says the same with 422 reasons_required/note_required).
 */
export function decisionBody(decision, reasons, note) {
  if (!DECISIONS.includes(decision)) throw new Error(`unknown decision ${decision}`)
  const text = (note ?? '').trim()
  const chosen = decision === 'approve' ? [] : [...new Set(reasons ?? [])]
  const errors = {}
  if (decision !== 'approve' && !chosen.length) errors.reasons = 'review.sheet.needReason'
  if (chosen.includes('other') && !text) errors.note = 'review.sheet.needNote'
  if (Object.keys(errors).length) return { errors }
  const body = { decision, reasons: chosen }
  if (text) body.note = text.slice(0, 1000)
  return { body }
}

/** A decision's reasons in the page's language. */
export function reasonTexts(reasons, locale) {
  return (reasons ?? []).map((r) => (locale === 'en' ? r.text_en || r.text : r.text) || r.code)
}

/** Tag tones of the review states and decisions. */
export const stateTone = (state) =>
  ({ pending: 'warning', approved: 'success', returned: 'primary', rejected: 'danger' })[state] ??
  'default'
export const decisionTone = (decision) =>
  ({ approve: 'success', return: 'primary', reject: 'danger' })[decision] ?? 'default'
