// Test helpers: a fake fetch that answers like the server does.

/** A minimal Response: what the api client reads (status, ok, statusText, text()). */
export function response(status, body, { statusText = '' } = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText,
    text: async () => text,
  }
}

export function apiError(status, code, message, messageEn, details = {}) {
  return response(status, { code, message, message_en: messageEn, details })
}

/** A promise with its resolve exposed, to hold a response until the test lets it go. */
export function deferred() {
  let resolve
  const promise = new Promise((r) => (resolve = r))
  return { promise, resolve }
}

/** The JSON body a fake fetch was called with. */
export function sentBody(call) {
  return JSON.parse(call[1].body)
}

export function memoryTokens(initial = {}) {
  let data = { ...initial }
  return {
    get access() {
      return data.access_token ?? null
    },
    get refresh() {
      return data.refresh_token ?? null
    },
    deviceId: '6f1c2f7e-3b1a-4d2e-9c1f-0a6b5c4d3e2f',
    save(r) {
      data = { access_token: r.access_token, refresh_token: r.refresh_token }
    },
    clear() {
      data = {}
    },
  }
}
