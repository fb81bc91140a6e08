// R5 risk alerts: what can happen to an alert next, and what the server needs to hear for it.

export const RISK_KINDS = ['shared_phone', 'salesperson_phone']
export const RISK_STATUSES = ['open', 'investigating', 'resolved', 'dismissed']
/** Closing an alert needs the finding in words (the server answers 422 resolution_required). */
export const CLOSING = ['resolved', 'dismissed']

/** The statuses an alert in `status` can be moved to from the console. */
export function nextStatuses(status) {
  switch (status) {
    case 'open':
      return ['investigating', 'resolved', 'dismissed']
    case 'investigating':
      return ['resolved', 'dismissed']
    case 'resolved':
    case 'dismissed':
      return ['investigating'] // look again
    default:
      return []
  }
}

export const needsResolution = (status) => CLOSING.includes(status)

/**
 * The PATCH body for moving an alert to `status`, or {error} when the resolution is missing.
 * The resolution is sent whenever one was written, so notes made while investigating are kept.
 */
export function updateBody(status, resolution) {
  const text = (resolution ?? '').trim()
  if (needsResolution(status) && !text) return { error: 'resolution_required' }
  const body = { status }
  if (text) body.resolution = text.slice(0, 500)
  return { body }
}

export function riskQuery(filters, cursor = null, limit = 50) {
  const query = { limit }
  if (filters.status) query.status = filters.status
  if (filters.kind) query.kind = filters.kind
  if (cursor) query.cursor = cursor
  return query
}
