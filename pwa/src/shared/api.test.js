import { describe, expect, it, vi } from 'vitest'
import { ApiError, createApiClient, errorText } from './api.js'
import { apiError, deferred, memoryTokens, response, sentBody } from '../test/http.js'

const ME = { id: 1, username: 'zhang', display_name: '张三' }

function tokenResponse(access, refresh) {
  return response(200, {
    access_token: access,
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: refresh,
    refresh_expires_in: 86400,
    user: ME,
  })
}

const bearer = (call) => call[1].headers.Authorization

describe('requests', () => {
  it('sends the access token and JSON, and returns the parsed body', async () => {
    const fetch = vi.fn(async () => response(200, { items: [] }))
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })

    const data = await api.post('/institutions', { name: '历下区' })

    expect(data).toEqual({ items: [] })
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/v1/institutions')
    expect(init.method).toBe('POST')
    expect(init.headers.Authorization).toBe('Bearer A1')
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(sentBody(fetch.mock.calls[0])).toEqual({ name: '历下区' })
  })

  it('builds the query string and leaves out empty values', async () => {
    const fetch = vi.fn(async () => response(200, { items: [], next_cursor: null }))
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })

    await api.get('/users', {
      q: '张 三',
      role: '',
      institution_id: null,
      limit: 50,
      cursor: undefined,
    })

    expect(fetch.mock.calls[0][0]).toBe('/api/v1/users?q=%E5%BC%A0+%E4%B8%89&limit=50')
  })

  it('returns null for 204 No Content', async () => {
    const fetch = vi.fn(async () => response(204))
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })
    await expect(api.post('/users/7/password', { password: 'x' })).resolves.toBeNull()
  })
})

describe('errors', () => {
  it('turns the server JSON error into an ApiError with both languages', async () => {
    const fetch = vi.fn(async () =>
      apiError(409, 'username_taken', '用户名已被占用', 'Username is taken', {
        username: ['taken'],
      }),
    )
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })

    const err = await api.post('/users', {}).catch((e) => e)

    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({
      status: 409,
      code: 'username_taken',
      message: '用户名已被占用',
      messageEn: 'Username is taken',
      details: { username: ['taken'] },
    })
    expect(errorText(err, 'zh-CN')).toBe('用户名已被占用')
    expect(errorText(err, 'en')).toBe('Username is taken')
  })

  it('describes a non-JSON error body (a proxy page) by its status', async () => {
    const fetch = vi.fn(async () =>
      response(502, '<html><body>Bad Gateway</body></html>', { statusText: 'Bad Gateway' }),
    )
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })

    const err = await api.get('/me').catch((e) => e)

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(502)
    expect(err.code).toBe('http_502')
    expect(err.message).toContain('HTTP 502 Bad Gateway')
    expect(err.message).toMatch(/服务器/)
    expect(err.messageEn).toContain('HTTP 502')
    expect(err.details.body).toContain('Bad Gateway')
  })

  it('describes an empty error body and JSON without a code by status', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(response(500))
      .mockResolvedValueOnce(response(400, { error: 'odd' }))
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })

    expect((await api.get('/me').catch((e) => e)).code).toBe('http_500')
    expect((await api.get('/me').catch((e) => e)).code).toBe('http_400')
  })

  it('turns a network failure into network_error, in Chinese and English', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch')
    })
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })

    const err = await api.get('/me').catch((e) => e)

    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('network_error')
    expect(err.status).toBe(0)
    expect(errorText(err, 'zh-CN')).toMatch(/网络/)
    expect(errorText(err, 'en')).toMatch(/network/i)
    expect(err.cause).toBeInstanceOf(TypeError)
  })

  it('errorText falls back to a plain error message', () => {
    expect(errorText(new Error('boom'), 'en')).toBe('boom')
    expect(errorText(null, 'en')).toBe('')
  })
})

describe('refresh', () => {
  it('shares one refresh between concurrent 401s and retries both with the new token', async () => {
    const tokens = memoryTokens({ access_token: 'OLD', refresh_token: 'R1' })
    const refreshAnswer = deferred()
    const fetch = vi.fn(async (url, init) => {
      if (url === '/api/v1/auth/refresh') return refreshAnswer.promise
      if (init.headers.Authorization === 'Bearer OLD')
        return apiError(401, 'token_expired', '登录已过期', 'Token expired')
      return response(200, { path: url })
    })
    const api = createApiClient({ tokens, fetch })

    const first = api.get('/me')
    const second = api.get('/institutions')
    // Both have had their 401 and wait on the same refresh.
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(3))
    refreshAnswer.resolve(tokenResponse('NEW', 'R2'))

    await expect(first).resolves.toEqual({ path: '/api/v1/me' })
    await expect(second).resolves.toEqual({ path: '/api/v1/institutions' })
    const refreshCalls = fetch.mock.calls.filter(([url]) => url === '/api/v1/auth/refresh')
    expect(refreshCalls).toHaveLength(1)
    expect(sentBody(refreshCalls[0])).toEqual({ refresh_token: 'R1', device_id: tokens.deviceId })
    expect(bearer(refreshCalls[0])).toBeUndefined()
    const retried = fetch.mock.calls.filter((call) => bearer(call) === 'Bearer NEW')
    expect(retried.map(([url]) => url).sort()).toEqual(['/api/v1/institutions', '/api/v1/me'])
    expect(tokens.access).toBe('NEW')
    expect(tokens.refresh).toBe('R2')
  })

  it('does not refresh again for a 401 that raced a refresh already done', async () => {
    const tokens = memoryTokens({ access_token: 'OLD', refresh_token: 'R1' })
    const slow = deferred()
    let meCalls = 0
    const fetch = vi.fn(async (url, init) => {
      if (url === '/api/v1/auth/refresh') return tokenResponse('NEW', 'R2')
      if (url === '/api/v1/me' && meCalls++ === 0) return slow.promise // on the wire during the refresh
      if (init.headers.Authorization === 'Bearer OLD')
        return apiError(401, 'token_expired', '登录已过期', 'Token expired')
      return response(200, { ok: url })
    })
    const api = createApiClient({ tokens, fetch })

    const me = api.get('/me')
    await api.get('/institutions') // 401, refresh, retry
    slow.resolve(apiError(401, 'token_expired', '登录已过期', 'Token expired'))

    await expect(me).resolves.toEqual({ ok: '/api/v1/me' })
    expect(fetch.mock.calls.filter(([url]) => url === '/api/v1/auth/refresh')).toHaveLength(1)
  })

  it('retries only once: a second 401 is thrown', async () => {
    const tokens = memoryTokens({ access_token: 'OLD', refresh_token: 'R1' })
    const fetch = vi.fn(async (url) => {
      if (url === '/api/v1/auth/refresh') return tokenResponse('NEW', 'R2')
      return apiError(401, 'token_invalid', '令牌无效', 'Invalid token')
    })
    const api = createApiClient({ tokens, fetch })

    const err = await api.get('/me').catch((e) => e)

    expect(err.code).toBe('token_invalid')
    expect(fetch).toHaveBeenCalledTimes(3) // request, refresh, one retry
  })

  it('ends the session and emits logged-out once when the refresh is refused', async () => {
    const tokens = memoryTokens({ access_token: 'OLD', refresh_token: 'R1' })
    const fetch = vi.fn(async (url) => {
      if (url === '/api/v1/auth/refresh')
        return apiError(401, 'refresh_token_reused', '登录凭证已失效', 'Refresh token reused')
      return apiError(401, 'token_expired', '登录已过期', 'Token expired')
    })
    const api = createApiClient({ tokens, fetch })
    const loggedOut = vi.fn()
    api.on('logged-out', loggedOut)

    const results = await Promise.allSettled([api.get('/me'), api.get('/users')])

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(results[0].reason.code).toBe('refresh_token_reused')
    expect(loggedOut).toHaveBeenCalledTimes(1)
    expect(loggedOut).toHaveBeenCalledWith({ reason: 'refresh_token_reused' })
    expect(tokens.access).toBeNull()
    expect(tokens.refresh).toBeNull()
    expect(fetch.mock.calls.filter(([url]) => url === '/api/v1/auth/refresh')).toHaveLength(1)
  })

  it('keeps the session when the refresh fails for want of a network', async () => {
    const tokens = memoryTokens({ access_token: 'OLD', refresh_token: 'R1' })
    const fetch = vi.fn(async (url) => {
      if (url === '/api/v1/auth/refresh') throw new TypeError('Failed to fetch')
      return apiError(401, 'token_expired', '登录已过期', 'Token expired')
    })
    const api = createApiClient({ tokens, fetch })
    const loggedOut = vi.fn()
    api.on('logged-out', loggedOut)

    const err = await api.get('/me').catch((e) => e)

    expect(err.code).toBe('network_error')
    expect(loggedOut).not.toHaveBeenCalled()
    expect(tokens.refresh).toBe('R1')
  })

  it('does not refresh for other 401 codes', async () => {
    const tokens = memoryTokens({ access_token: 'A1', refresh_token: 'R1' })
    const fetch = vi.fn(async () =>
      apiError(401, 'invalid_credentials', '用户名或密码错误', 'Wrong'),
    )
    const api = createApiClient({ tokens, fetch })

    const err = await api.get('/me').catch((e) => e)

    expect(err.code).toBe('invalid_credentials')
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('ends the session as device_revoked without refreshing, also on a refused sign-in', async () => {
    const revoked = () => apiError(401, 'device_revoked', '此设备已被停用', 'Device revoked')
    const tokens = memoryTokens({ access_token: 'A1', refresh_token: 'R1' })
    const fetch = vi.fn(async () => revoked())
    const api = createApiClient({ tokens, fetch })
    const loggedOut = vi.fn()
    api.on('logged-out', loggedOut)

    const err = await api.get('/sync/pull').catch((e) => e)

    expect(err.code).toBe('device_revoked')
    expect(fetch).toHaveBeenCalledTimes(1) // no refresh: nothing can cure a revoked device
    expect(loggedOut).toHaveBeenCalledWith({ reason: 'device_revoked' })
    expect(tokens.access).toBeNull()
    expect(tokens.refresh).toBeNull()

    fetch.mockImplementation(async () =>
      apiError(403, 'device_revoked', '此设备已被停用', 'Revoked'),
    )
    await api.post('/auth/login', { username: 'x' }, { auth: false }).catch((e) => e)
    expect(loggedOut).toHaveBeenCalledTimes(2)
  })
})

describe('binary bodies', () => {
  it('PUTs bytes as application/octet-stream with the query, unchanged', async () => {
    const fetch = vi.fn(async () => response(200, { state: 'partial', offset: 3 }))
    const api = createApiClient({ tokens: memoryTokens({ access_token: 'A1' }), fetch })
    const bytes = new Uint8Array([1, 2, 3])

    const data = await api.putBinary('/sync/media/ab', bytes, { offset: 0, total: 9 })

    expect(data).toEqual({ state: 'partial', offset: 3 })
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/v1/sync/media/ab?offset=0&total=9')
    expect(init.method).toBe('PUT')
    expect(init.headers['Content-Type']).toBe('application/octet-stream')
    expect(init.headers.Authorization).toBe('Bearer A1')
    expect(init.body).toBe(bytes)
  })

  it('sends the same bytes again after refreshing an expired token', async () => {
    const tokens = memoryTokens({ access_token: 'OLD', refresh_token: 'R1' })
    const fetch = vi.fn(async (url, init) => {
      if (url === '/api/v1/auth/refresh') return tokenResponse('NEW', 'R2')
      if (init.headers.Authorization === 'Bearer OLD')
        return apiError(401, 'token_expired', '登录已过期', 'Token expired')
      return response(200, { state: 'complete', offset: 3 })
    })
    const api = createApiClient({ tokens, fetch })
    const bytes = new Uint8Array([1, 2, 3])

    await api.putBinary('/sync/media/ab', bytes, { offset: 0, total: 3 })

    const retried = fetch.mock.calls[2][1]
    expect(retried.headers.Authorization).toBe('Bearer NEW')
    expect(retried.body).toBe(bytes)
  })
})

describe('query strings', () => {
  it('repeats the key for a list and skips empty values', async () => {
    const seen = []
    const client = createApiClient({
      tokens: memoryTokens({ access_token: 'A1' }),
      fetch: async (url) => {
        seen.push(url)
        return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } })
      },
    })
    await client.get('/tasks', { status: ['assigned', 'returned'], q: '', limit: 50 })
    expect(seen[0]).toBe('/api/v1/tasks?status=assigned&status=returned&limit=50')
  })
})
