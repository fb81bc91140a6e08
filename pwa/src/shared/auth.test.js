import { describe, expect, it, vi } from 'vitest'
import {
  createSession,
  DEVICE_KEY,
  getDeviceId,
  memoryStorage,
  SESSION_KEYS,
  shortDeviceName,
  uuid4,
} from './auth.js'
import { apiError, response, sentBody } from '../test/http.js'

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const ME = { id: 1, username: 'admin', display_name: '管理员', roles: ['admin'] }

function loginResponse(access = 'A1', refresh = 'R1') {
  return response(200, {
    access_token: access,
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: refresh,
    refresh_expires_in: 2592000,
    user: ME,
  })
}

describe('device id', () => {
  it('is made once and kept', () => {
    const storage = memoryStorage()
    const id = getDeviceId(storage)
    expect(id).toMatch(UUID4)
    expect(storage.getItem(DEVICE_KEY)).toBe(id)
    expect(getDeviceId(storage)).toBe(id)
  })

  it('is a v4 UUID even where crypto.randomUUID is missing (plain http)', () => {
    const original = globalThis.crypto.randomUUID
    try {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: undefined,
        configurable: true,
      })
      const ids = new Set(Array.from({ length: 20 }, uuid4))
      expect(ids.size).toBe(20)
      for (const id of ids) expect(id).toMatch(UUID4)
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: original,
        configurable: true,
      })
    }
  })
})

describe('shortDeviceName', () => {
  it('names a tablet by system and browser', () => {
    expect(
      shortDeviceName(
        'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      ),
    ).toBe('Android · Chrome 131')
    expect(
      shortDeviceName(
        'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('iPad · Safari 17')
  })

  it('keeps an unknown agent short', () => {
    expect(shortDeviceName('x'.repeat(300))).toHaveLength(100)
  })
})

describe('session', () => {
  it('survives a reload: a new session on the same storage knows the user', async () => {
    const storage = memoryStorage()
    const fetch = vi.fn(async () => loginResponse())
    const first = createSession('field', { storage, fetch })
    await first.login('admin', 'secret-password')

    const reloaded = createSession('field', { storage, fetch })
    expect(reloaded.loggedIn).toBe(true)
    expect(reloaded.user).toEqual(ME)
    expect(reloaded.hasRole('admin')).toBe(true)
    expect(reloaded.hasRole('reviewer')).toBe(false)
    // The console keeps its own session.
    expect(createSession('console', { storage, fetch }).loggedIn).toBe(false)
  })

  it('sends client "console" from the console', async () => {
    const fetch = vi.fn(async () => loginResponse())
    const session = createSession('console', { storage: memoryStorage(), fetch })
    await session.login('admin', 'secret-password')
    expect(sentBody(fetch.mock.calls[0]).client).toBe('console')
  })

  it('loadMe refreshes the user and keeps it for the next load', async () => {
    const storage = memoryStorage()
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(loginResponse())
      .mockResolvedValueOnce(response(200, { ...ME, display_name: '新名字' }))
    const session = createSession('field', { storage, fetch })
    await session.login('admin', 'secret-password')

    await session.loadMe()

    expect(fetch.mock.calls[1][0]).toBe('/api/v1/me')
    expect(fetch.mock.calls[1][1].headers.Authorization).toBe('Bearer A1')
    expect(session.user.display_name).toBe('新名字')
    expect(createSession('field', { storage, fetch }).user.display_name).toBe('新名字')
  })

  it('logout revokes the refresh token and forgets the session, even offline', async () => {
    const storage = memoryStorage()
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(loginResponse())
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
    const session = createSession('field', { storage, fetch })
    await session.login('admin', 'secret-password')

    await session.logout()

    expect(fetch.mock.calls[1][0]).toBe('/api/v1/auth/logout')
    expect(sentBody(fetch.mock.calls[1])).toEqual({ refresh_token: 'R1' })
    expect(session.loggedIn).toBe(false)
    expect(storage.getItem(SESSION_KEYS.field)).toBeNull()
    expect(storage.getItem(DEVICE_KEY)).not.toBeNull() // the device stays the same device
  })

  it('is logged out when the server refuses the refresh', async () => {
    const storage = memoryStorage()
    const fetch = vi.fn(async (url) => {
      if (url === '/api/v1/auth/login') return loginResponse()
      if (url === '/api/v1/auth/refresh')
        return apiError(401, 'refresh_token_expired', '登录已过期', 'Session expired')
      return apiError(401, 'token_expired', '令牌已过期', 'Token expired')
    })
    const session = createSession('field', { storage, fetch })
    await session.login('admin', 'secret-password')

    await expect(session.loadMe()).rejects.toMatchObject({ code: 'refresh_token_expired' })

    expect(session.loggedIn).toBe(false)
    expect(session.state.endedReason).toBe('refresh_token_expired')
    expect(storage.getItem(SESSION_KEYS.field)).toBeNull()
  })
})
