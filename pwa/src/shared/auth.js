import { inject, reactive } from 'vue'
import { createApiClient } from './api.js'
import { passkeyTokens } from './passkeys.js'

export const DEVICE_KEY = 'huifang.device_id'
export const SESSION_KEYS = {
  field: 'huifang.session.field',
  console: 'huifang.session.console',
}
const SESSION = Symbol('huifang.session')

function defaultStorage() {
  try {
    return globalThis.localStorage ?? memoryStorage()
  } catch {
    return memoryStorage()
  }
}

export function memoryStorage() {
  const items = new Map()
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  }
}

/**
 * A random UUID v4. crypto.randomUUID exists only in secure contexts (https, localhost); a
 * tablet opening the app by a LAN address over plain http still needs a device id.
 */
export function uuid4() {
  if (typeof globalThis.crypto?.randomUUID === 'function') return globalThis.crypto.randomUUID()
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** This browser's device id, made once and kept: refresh tokens are bound to it. */
export function getDeviceId(storage = defaultStorage()) {
  let id = storage.getItem(DEVICE_KEY)
  if (!id) {
    id = uuid4()
    storage.setItem(DEVICE_KEY, id)
  }
  return id
}

/** A short human name for the device list, e.g. "Android · Chrome 131". */
export function shortDeviceName(ua = globalThis.navigator?.userAgent ?? '') {
  const os =
    [
      [/HarmonyOS/, 'HarmonyOS'],
      [/Android/, 'Android'],
      [/iPad/, 'iPad'],
      [/iPhone/, 'iPhone'],
      [/Windows/, 'Windows'],
      [/Mac OS X|Macintosh/, 'macOS'],
      [/CrOS/, 'ChromeOS'],
      [/Linux/, 'Linux'],
    ].find(([re]) => re.test(ua))?.[1] ?? null
  const browser =
    [
      [/EdgA?\/(\d+)/, 'Edge'],
      [/HuaweiBrowser\/(\d+)/, 'Huawei Browser'],
      [/MicroMessenger\/(\d+)/, 'WeChat'],
      [/(?:Chrome|Chromium|CriOS)\/(\d+)/, 'Chrome'],
      [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
      [/Version\/(\d+)[\d.]* .*Safari/, 'Safari'],
    ]
      .map(([re, name]) => {
        const m = ua.match(re)
        return m ? `${name} ${m[1]}` : null
      })
      .find(Boolean) ?? null
  const name = [os, browser].filter(Boolean).join(' · ')
  return (name || ua).slice(0, 100)
}

/**
 * Tokens and the last known user, kept in localStorage under one key per app so the field app
 * survives a reload (and works offline with the user it last saw).
 */
export function createTokenStore(key, storage = defaultStorage()) {
  let data = {}
  try {
    data = JSON.parse(storage.getItem(key) || '{}') || {}
  } catch {
    data = {}
  }
  const write = () => storage.setItem(key, JSON.stringify(data))
  return {
    get access() {
      return data.access_token ?? null
    },
    get refresh() {
      return data.refresh_token ?? null
    },
    get user() {
      return data.user ?? null
    },
    get deviceId() {
      return getDeviceId(storage)
    },
    save(response) {
      data = {
        access_token: response.access_token,
        refresh_token: response.refresh_token,
        user: response.user ?? data.user ?? null,
      }
      write()
    },
    saveUser(user) {
      data = { ...data, user }
      write()
    },
    clear() {
      data = {}
      storage.removeItem(key)
    },
  }
}

/**
 * The session of one app ('field' or 'console'): who is signed in, and the API client that
 * signs its requests.
 */
export function createSession(app, { storage = defaultStorage(), fetch } = {}) {
  if (!SESSION_KEYS[app]) throw new Error(`unknown app ${app}`)
  const tokens = createTokenStore(SESSION_KEYS[app], storage)
  const api = createApiClient({ tokens, fetch })
  const state = reactive({
    user: tokens.access || tokens.refresh ? tokens.user : null,
    endedReason: null, // why the server ended the session, to tell the person on the login page
    localDataWiped: false, // the field app erased this device's data (a revoked device)
  })

  api.on('logged-out', ({ reason }) => {
    state.user = null
    state.endedReason = reason
  })

  async function login(username, password) {
    const response = await api.post(
      '/auth/login',
      {
        username,
        password,
        device_id: getDeviceId(storage),
        device_name: shortDeviceName(),
        client: app,
      },
      { auth: false },
    )
    return adopt(response)
  }

  /** Keep the tokens of a sign-in (password or passkey) and who signed in. */
  function adopt(response) {
    tokens.save(response)
    state.user = response.user
    state.endedReason = null
    state.localDataWiped = false
    return response.user
  }

  /** Sign in with a passkey (of `username` only, when given): the same tokens as a password. */
  async function loginWithPasskey(username) {
    const response = await passkeyTokens(api, {
      username,
      device: { device_id: getDeviceId(storage), device_name: shortDeviceName(), client: app },
    })
    return adopt(response)
  }

  async function logout() {
    const refresh = tokens.refresh
    try {
      if (refresh) await api.post('/auth/logout', { refresh_token: refresh })
    } catch {
      // Offline or already revoked: the local session ends all the same.
    } finally {
      tokens.clear()
      state.user = null
      state.endedReason = null
    }
  }

  async function loadMe() {
    const me = await api.get('/me')
    tokens.saveUser(me)
    state.user = me
    return me
  }

  return {
    app,
    api,
    state,
    get user() {
      return state.user
    },
    get loggedIn() {
      return state.user !== null
    },
    hasRole: (role) => Boolean(state.user?.roles?.includes(role)),
    login,
    loginWithPasskey,
    logout,
    loadMe,
    install(vueApp) {
      vueApp.provide(SESSION, this)
    },
  }
}

export function useSession() {
  const session = inject(SESSION, null)
  if (!session) throw new Error('no session provided: install createSession() on the app')
  return session
}
