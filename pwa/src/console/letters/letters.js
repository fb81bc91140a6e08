// 信函回访 (R13): what can happen to a letter next, who may do it, and what the server needs to hear.
// The server decides (server/letters/services.py); these rules only keep the page from offering
// buttons that would be refused.
import { API_BASE, errorFromResponse, networkError } from '../../shared/api.js'
import { SESSION_KEYS, createTokenStore } from '../../shared/auth.js'

export const LETTER_STATUSES = [
  'created',
  'mailed',
  'returned',
  'verified',
  'rejected',
  'cancelled',
]
export const OPEN_STATUSES = ['created', 'mailed', 'returned']
export const REJECT_REASONS = [
  'holder_signature_missing',
  'insured_signature_missing',
  'signature_doubtful',
  'answers_incomplete',
  'identity_mismatch',
  'wrong_paper',
  'other',
]
export const MAX_SCAN_BYTES = 20 * 1024 * 1024
export const SCAN_ACCEPT = 'application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png'

const ISSUERS = ['supervisor', 'phone_agent', 'admin']
const RECEIVERS = ['supervisor', 'phone_agent', 'reviewer', 'admin']
const DECIDERS = ['reviewer', 'admin']
const CANCELLERS = ['supervisor', 'admin']

export const statusTagType = (status) =>
  ({
    created: 'primary',
    mailed: 'warning',
    returned: 'danger',
    verified: 'success',
    rejected: 'default',
    cancelled: 'default',
  })[status] ?? 'default'

const any = (session, roles) => roles.some((role) => session.hasRole(role))

/** May this caller issue letters (turn a task into one)? */
export const canIssue = (session) => any(session, ISSUERS)

/** The actions the page offers on `letter` to this caller. */
export function actionsFor(letter, session) {
  if (!letter) return []
  const actions = []
  const { status } = letter
  if (['created', 'mailed'].includes(status) && any(session, ISSUERS)) actions.push('mailing')
  if (['mailed', 'returned'].includes(status) && any(session, RECEIVERS)) actions.push('scan')
  if (status === 'returned' && any(session, DECIDERS)) actions.push('decide')
  if (OPEN_STATUSES.includes(status) && any(session, CANCELLERS)) actions.push('cancel')
  return actions
}

export function letterQuery(filters, cursor = null, limit = 50) {
  const query = { limit }
  if (filters.status) query.status = filters.status
  const q = (filters.q ?? '').trim()
  if (q) query.q = q.slice(0, 64)
  if (cursor) query.cursor = cursor
  return query
}

/** A code as typed ("hf 00-1y") in the form the API looks up; null when it cannot be one. */
export function normaliseCode(text) {
  const code = String(text ?? '')
    .replace(/[\s-]/g, '')
    .toUpperCase()
  return /^HF[0-9A-Z]{5,14}$/.test(code) ? code : null
}

/** `2026-11-25T09:30` from an <input type="datetime-local"> as an ISO time with its zone. */
export function localToIso(value) {
  if (!value) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** The value for an <input type="datetime-local"> showing `date` (default now) in local time. */
export function isoToLocal(date = new Date()) {
  const d = new Date(date)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** The mailing body, or {error: field code} for what is missing. */
export function mailingBody(form, letter) {
  const mailedAt = localToIso(form.mailedAt)
  if (!mailedAt) return { error: 'mailed_at' }
  const carrier = (form.carrier ?? '').trim()
  if (!carrier) return { error: 'carrier' }
  const address = (form.address ?? '').trim()
  if (!address && !letter?.address) return { error: 'address' }
  const body = { mailed_at: mailedAt, carrier: carrier.slice(0, 40) }
  const tracking = (form.trackingNo ?? '').trim()
  if (tracking) body.tracking_no = tracking.slice(0, 64)
  if (address) body.address = address.slice(0, 300)
  return { body }
}

/** The decision body, or {error} as the server would answer it (reasons, then the note of "other"). */
export function decisionBody(decision, reasons = [], note = '') {
  const text = (note ?? '').trim()
  const body = { decision }
  if (decision === 'reject') {
    const chosen = REJECT_REASONS.filter((code) => reasons.includes(code))
    if (!chosen.length) return { error: 'reasons_required' }
    if (chosen.includes('other') && !text) return { error: 'note_required' }
    body.reasons = chosen
  }
  if (text) body.note = text.slice(0, 1000)
  return { body }
}

/** What is wrong with a chosen file before it is sent (the server judges the content itself). */
export function scanProblem(file) {
  if (!file) return 'scan_missing'
  if (file.size === 0) return 'scan_empty'
  if (file.size > MAX_SCAN_BYTES) return 'scan_too_large'
  return null
}

export function formatSize(bytes) {
  if (bytes == null) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/**
 * POST a file as multipart/form-data (field `file`) with the console's bearer token, refreshing it
 * once on 401 as fetchBlob does. api.js sends JSON and raw bytes only. Answers the JSON body.
 */
export async function uploadFile(session, path, file, { fetchImpl, storage } = {}) {
  const doFetch = fetchImpl ?? globalThis.fetch
  async function attempt() {
    const tokens = createTokenStore(SESSION_KEYS.console, storage)
    const form = new FormData()
    form.append('file', file, file.name || 'scan')
    try {
      return await doFetch(`${API_BASE}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.access}`, Accept: 'application/json' },
        body: form,
        credentials: 'same-origin',
      })
    } catch (cause) {
      throw networkError(cause)
    }
  }
  let res = await attempt()
  if (res.status === 401) {
    await session.api.refresh()
    res = await attempt()
  }
  if (!res.ok) throw await errorFromResponse(res)
  return res.json()
}

export const letterPdfPath = (id) => `/letters/${encodeURIComponent(id)}/letter.pdf`
export const scanPath = (id) => `/letters/${encodeURIComponent(id)}/scan`
