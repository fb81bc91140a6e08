// 回访需求导入: the pure parts of the intake page (what a batch's state means, how to fetch a file).
import { SESSION_KEYS, createTokenStore } from '../../shared/auth.js'
import { API_BASE, errorFromResponse, networkError } from '../../shared/api.js'

/** Outcomes of a row, in the order the page shows their counts. */
export const OUTCOMES = ['task_created', 'duplicate', 'out_of_scope', 'error']
export const RUNNING = ['queued', 'running']

export const isRunning = (batch) => Boolean(batch && RUNNING.includes(batch.status) && !batch.stale)

/** An upload may be confirmed when its dry run finished with rows and not one error. */
export function canConfirm(batch) {
  return Boolean(
    batch &&
    batch.kind === 'file' &&
    batch.status === 'checked' &&
    batch.error_count === 0 &&
    (batch.counts?.rows ?? 0) > 0,
  )
}

/** 0–100 for the progress bar; a finished batch is full whatever its last report said. */
export function percent(batch) {
  if (!batch) return 0
  if (!RUNNING.includes(batch.status)) return 100
  return Math.max(0, Math.min(100, Math.floor((batch.progress ?? 0) * 100)))
}

/** The counts a person reads first, in order; zeros of the policy counts are left out. */
export function countRows(counts = {}) {
  const rows = [['rows', counts.rows ?? 0]]
  for (const key of OUTCOMES) rows.push([key, counts[key] ?? 0])
  const optional = [
    'call_created',
    'policy_created',
    'policy_updated',
    'salesperson_created',
    'risk_alerts',
  ]
  for (const key of optional) {
    if (counts[key]) rows.push([key, counts[key]])
  }
  return rows
}

export const outcomeType = (outcome) =>
  ({
    task_created: 'success',
    call_created: 'success',
    duplicate: 'default',
    out_of_scope: 'warning',
    error: 'danger',
  })[outcome] ?? 'default'

export const statusType = (status) =>
  ({
    checked: 'primary',
    imported: 'success',
    rejected: 'danger',
    failed: 'danger',
    running: 'warning',
    queued: 'warning',
  })[status] ?? 'default'

/**
 * GET a file (the error report) with the console's token and hand it to the browser as a download.
 * api.js answers JSON only; this is the one place that fetches bytes. A stale token is refreshed once.
 */
export async function downloadFile(session, path, filename, { fetchImpl, storage } = {}) {
  const doFetch = fetchImpl ?? globalThis.fetch
  async function attempt() {
    // Read the token afresh each time: the session's refresh saves the new one to storage.
    const tokens = createTokenStore(SESSION_KEYS.console, storage)
    try {
      return await doFetch(`${API_BASE}${path}`, {
        headers: { Authorization: `Bearer ${tokens.access}` },
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
  const blob = await res.blob()
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
  return blob
}
