// Downloads of exports with the console's token. Where the browser can write a file as it arrives
// (the File System Access API, Chromium), a million-row export goes straight to disk; elsewhere it
// is gathered into a Blob first. A stale token is refreshed once, as the other downloads do.
import { API_BASE, errorFromResponse, networkError } from '../../shared/api.js'
import { SESSION_KEYS, createTokenStore } from '../../shared/auth.js'
import { filenameOf } from './search.js'

async function authorisedFetch(session, path, { fetchImpl, storage } = {}) {
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
  return res
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/**
 * GET `path` and save what it answers. Resolves to the file name, or null when the person closed
 * the save dialog. The dialog is asked for first: browsers allow it only straight after a click.
 */
export async function downloadExport(session, path, suggestedName, options = {}) {
  const pick = options.picker ?? globalThis.showSaveFilePicker
  let writable = null
  if (typeof pick === 'function') {
    try {
      const handle = await pick({ suggestedName })
      writable = await handle.createWritable()
    } catch (err) {
      if (err?.name === 'AbortError') return null
      writable = null // not allowed here: fall back to a Blob
    }
  }
  let res
  try {
    res = await authorisedFetch(session, path, options)
  } catch (err) {
    await writable?.abort?.()
    throw err
  }
  const filename = filenameOf(res.headers.get('Content-Disposition'), suggestedName)
  if (writable && res.body) {
    await res.body.pipeTo(writable)
    return filename
  }
  await writable?.abort?.()
  saveBlob(await res.blob(), filename)
  return filename
}
