// When to try again, and how long to wait: exponential backoff with jitter.
import { ApiError } from '../../shared/api.js'

export const RETRY_DEFAULTS = { retries: 4, baseMs: 1000, maxMs: 5 * 60 * 1000 }

/**
 * The wait before try number `attempt` + 1 (attempt 0 is the first retry): base * 2^attempt,
 * capped, then jittered into [d/2, d] so devices that lost the network together do not come back
 * in step.
 */
export function backoffDelay(attempt, { baseMs, maxMs, random = Math.random } = RETRY_DEFAULTS) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/**
 * A failure that trying again may cure: no answer (network, timeout), the server in trouble (5xx),
 * throttled (408, 429) or an answer that was not JSON (a captive portal's page). Any other 4xx is
 * the server's verdict: stop and show it.
 */
export function isTransient(err) {
  if (!(err instanceof ApiError)) return false
  const { status, code } = err
  return (
    status === 0 || status >= 500 || status === 408 || status === 429 || code === 'invalid_response'
  )
}

export function timeoutError(ms) {
  return new ApiError({
    status: 0,
    code: 'timeout',
    message: `服务器 ${Math.round(ms / 1000)} 秒未应答，稍后重试`,
    messageEn: `No answer from the server in ${Math.round(ms / 1000)} s; will try again`,
  })
}

/**
 * The promise, or a timeout error after `ms`. The request itself is not aborted (the shared API
 * client takes no AbortSignal); every sync request is safe to repeat, so a late answer is harmless.
 */
export function withTimeout(promise, ms, timers = globalThis) {
  if (!ms) return promise
  let timer
  const limit = new Promise((_, reject) => {
    timer = timers.setTimeout(() => reject(timeoutError(ms)), ms)
  })
  return Promise.race([promise, limit]).finally(() => timers.clearTimeout(timer))
}

export const realSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A caller of idempotent requests: `call(fn)` runs fn, and on a transient failure waits
 * (backoff) and runs it again, up to `retries` more times. Options: retries, baseMs, maxMs,
 * random, sleep(ms), timeoutMs, onRetry({attempt, delay, error}).
 */
export function createRetrier(options = {}) {
  const opts = { ...RETRY_DEFAULTS, timeoutMs: 60_000, sleep: realSleep, ...options }
  async function call(fn) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await withTimeout(fn(), opts.timeoutMs)
      } catch (err) {
        if (!isTransient(err) || attempt >= opts.retries) throw err
        const delay = backoffDelay(attempt, opts)
        opts.onRetry?.({ attempt, delay, error: err })
        await opts.sleep(delay)
      }
    }
  }
  return { call, options: opts }
}
