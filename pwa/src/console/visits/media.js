// Visit media (photos, signatures) need the bearer token, which an <img src> cannot send: fetch
// the bytes with the console's token and show them through object URLs, revoked when the page goes.
// api.js answers JSON only, so bytes are fetched here; a stale token is refreshed once by the
// shared client (one refresh for all the images that fail together).
import { onBeforeUnmount, reactive } from 'vue'
import { API_BASE, errorFromResponse, networkError } from '../../shared/api.js'
import { SESSION_KEYS, createTokenStore } from '../../shared/auth.js'

export async function fetchBlob(session, path, { fetchImpl, storage } = {}) {
  const doFetch = fetchImpl ?? globalThis.fetch
  async function attempt() {
    // Read the token afresh each time: a refresh saves the new one to storage.
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
  return res.blob()
}

/** Paths of a visit's files on the API. */
export const mediaPath = (uuid, sha) =>
  `/visits/${encodeURIComponent(uuid)}/media/${encodeURIComponent(sha)}`
export const renderPath = (uuid, signer) =>
  `/visits/${encodeURIComponent(uuid)}/signatures/${encodeURIComponent(signer)}.png`

/**
 * Object URLs by key, loaded on demand: `images.load(key, path)` once per key; `images.state[key]`
 * is {url, error, loading}. Every URL is revoked when the component unmounts or on `clear()`.
 */
export function useAuthImages(session) {
  const state = reactive({})
  const made = []

  async function load(key, path) {
    if (state[key]) return
    state[key] = { url: null, error: null, loading: true }
    try {
      const blob = await fetchBlob(session, path)
      const url = URL.createObjectURL(blob)
      made.push(url)
      state[key] = { url, error: null, loading: false }
    } catch (err) {
      state[key] = { url: null, error: err, loading: false }
    }
  }

  function retry(key, path) {
    delete state[key]
    return load(key, path)
  }

  function clear() {
    for (const url of made.splice(0)) URL.revokeObjectURL(url)
    for (const key of Object.keys(state)) delete state[key]
  }

  onBeforeUnmount(clear)
  return { state, load, retry, clear }
}
