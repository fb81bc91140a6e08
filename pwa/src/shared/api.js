// A small client for /api/v1: bearer tokens, one shared refresh when the access token has run out,
// and every failure turned into an ApiError carrying the server's code and both languages.

export const API_BASE = '/api/v1'

/** Codes on a 401 that a fresh access token can cure. */
const REFRESHABLE = new Set(['token_expired', 'token_invalid'])

/**
 * An administrator revoked this device (lost or stolen): whatever the request (sync, refresh,
 * sign-in), the session ends with this reason, and the field app wipes its local data on it.
 */
export const DEVICE_REVOKED = 'device_revoked'

const NETWORK_MESSAGE = '无法连接服务器，请检查网络后重试'
const NETWORK_MESSAGE_EN = 'Cannot reach the server. Check the network and try again.'

export class ApiError extends Error {
  constructor({ status = 0, code = 'unknown_error', message, messageEn, details = {} } = {}) {
    super(message || messageEn || code)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.messageEn = messageEn || message || code
    this.details = details ?? {}
  }
}

/** The message of an error in the page's language (an ApiError has both; others only one). */
export function errorText(err, locale) {
  if (!err) return ''
  if (err instanceof ApiError) return locale === 'en' ? err.messageEn : err.message
  return err.message || String(err)
}

export function networkError(cause) {
  const err = new ApiError({
    status: 0,
    code: 'network_error',
    message: NETWORK_MESSAGE,
    messageEn: NETWORK_MESSAGE_EN,
  })
  err.cause = cause
  return err
}

/**
 * Turn a failed response into an ApiError. The server answers JSON
 * `{code, message, message_en, details}`; a proxy or a crash may answer HTML or nothing.
 */
export async function errorFromResponse(res) {
  let text = ''
  let body
  try {
    text = await res.text()
    body = text ? JSON.parse(text) : null
  } catch {
    body = null // HTML from a proxy, a truncated body: described below from the status
  }
  if (body && typeof body === 'object' && typeof body.code === 'string') {
    return new ApiError({
      status: res.status,
      code: body.code,
      message: body.message,
      messageEn: body.message_en,
      details: body.details,
    })
  }
  const reason = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`
  return new ApiError({
    status: res.status,
    code: `http_${res.status}`,
    message: `服务器返回了无法识别的错误（${reason}）`,
    messageEn: `The server answered with an unexpected error (${reason})`,
    details: text ? { body: text.slice(0, 500) } : {},
  })
}

function queryString(query) {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    // A list is the same key repeated (status=a&status=b), as the API's list arguments expect.
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null || item === '') continue
      params.append(key, String(item))
    }
  }
  const qs = params.toString()
  return qs ? `?${qs}` : ''
}

/**
 * @param {object} options
 * @param {object} options.tokens  a token store: {access, refresh, deviceId, save(tokenResponse), clear()}
 * @param {Function} [options.fetch]  defaults to the global fetch (looked up on each call, so tests can mock it)
 */
export function createApiClient({ tokens, fetch: fetchImpl, base = API_BASE }) {
  const listeners = new Map()
  let refreshing = null

  function on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, new Set())
    listeners.get(event).add(fn)
    return () => listeners.get(event).delete(fn)
  }

  function emit(event, payload) {
    for (const fn of listeners.get(event) ?? []) fn(payload)
  }

  // `binary` (a Blob, ArrayBuffer or typed array) is sent as it is, as application/octet-stream
  // (media chunks); `body` is sent as JSON. A Blob can be sent again after a token refresh.
  async function send(method, path, { body, binary, query, auth = true } = {}) {
    const headers = { Accept: 'application/json' }
    const accessUsed = auth ? tokens.access : null
    if (accessUsed) headers.Authorization = `Bearer ${accessUsed}`
    if (binary !== undefined) headers['Content-Type'] = 'application/octet-stream'
    else if (body !== undefined) headers['Content-Type'] = 'application/json'
    let res
    try {
      res = await (fetchImpl ?? globalThis.fetch)(`${base}${path}${queryString(query)}`, {
        method,
        headers,
        body: binary !== undefined ? binary : body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      })
    } catch (cause) {
      throw networkError(cause)
    }
    return { res, accessUsed }
  }

  async function parseBody(res) {
    if (res.status === 204) return null
    const text = await res.text()
    if (!text) return null
    try {
      return JSON.parse(text)
    } catch {
      throw new ApiError({
        status: res.status,
        code: 'invalid_response',
        message: '服务器返回的内容无法解析',
        messageEn: 'The server sent a response that could not be read',
        details: { body: text.slice(0, 500) },
      })
    }
  }

  function endSession(reason) {
    tokens.clear()
    emit('logged-out', { reason })
  }

  async function doRefresh() {
    if (!tokens.refresh) {
      endSession('no_refresh_token')
      return false
    }
    // A network error propagates as it is: offline is not logged out, the field app keeps its
    // session and tries again later.
    const { res } = await send('POST', '/auth/refresh', {
      body: { refresh_token: tokens.refresh, device_id: tokens.deviceId },
      auth: false,
    })
    if (res.ok) {
      tokens.save(await parseBody(res))
      return true
    }
    const err = await errorFromResponse(res)
    if (res.status >= 500) throw err // the server is in trouble; the refresh token may still be good
    endSession(err.code)
    throw err
  }

  /** Refresh once for everyone: concurrent callers share the same request. */
  function refreshOnce() {
    if (!refreshing) refreshing = doRefresh().finally(() => (refreshing = null))
    return refreshing
  }

  async function request(method, path, options = {}) {
    const { auth = true } = options
    let { res, accessUsed } = await send(method, path, options)
    if (res.status === 401 && auth && accessUsed) {
      const err = await errorFromResponse(res)
      if (err.code === DEVICE_REVOKED) endSession(DEVICE_REVOKED)
      if (!REFRESHABLE.has(err.code)) throw err
      // Another request may already have refreshed while this one was on the wire.
      if (tokens.access === accessUsed) await refreshOnce()
      if (!tokens.access) throw err
      ;({ res } = await send(method, path, options))
    }
    if (!res.ok) {
      const err = await errorFromResponse(res)
      if (err.code === DEVICE_REVOKED) endSession(DEVICE_REVOKED) // e.g. sign-in from a revoked device
      throw err
    }
    return parseBody(res)
  }

  return {
    on,
    request,
    refresh: refreshOnce,
    endSession,
    get: (path, query) => request('GET', path, { query }),
    post: (path, body, options) => request('POST', path, { body, ...options }),
    patch: (path, body) => request('PATCH', path, { body }),
    /** PUT raw bytes (a media chunk) with query arguments; answers JSON like every call. */
    putBinary: (path, binary, query) => request('PUT', path, { binary, query }),
    delete: (path) => request('DELETE', path),
  }
}
