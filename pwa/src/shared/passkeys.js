// Passkeys (WebAuthn) in the browser: the server's JSON options turned into what
// navigator.credentials.create()/get() take, and their answers turned back into JSON.
// Binary values travel as base64url, as the server (the `webauthn` package) writes and reads them.
// Only the browser's own API is used: nothing is loaded from elsewhere.

/** base64url (no padding) of bytes (an ArrayBuffer or a typed array). */
export function toBase64url(bytes) {
  const view =
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let binary = ''
  for (const byte of view) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The bytes of a base64url string (padding optional), as an ArrayBuffer. */
export function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i)
  return bytes.buffer
}

/** Whether this browser can use passkeys at all (WebAuthn needs a secure context: https or localhost). */
export function passkeysSupported() {
  return (
    typeof globalThis.PublicKeyCredential === 'function' &&
    typeof globalThis.navigator?.credentials?.create === 'function' &&
    globalThis.isSecureContext !== false
  )
}

const descriptors = (list) => (list ?? []).map((c) => ({ ...c, id: fromBase64url(c.id) }))

/** PublicKeyCredentialCreationOptions from the server's JSON. */
export function creationOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  }
}

/** PublicKeyCredentialRequestOptions from the server's JSON. */
export function requestOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  }
}

function common(credential) {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  }
}

/** The JSON the server verifies, from what create() answered. */
export function registrationJSON(credential) {
  const response = credential.response
  return {
    ...common(credential),
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports: response.getTransports?.() ?? [],
    },
  }
}

/** The JSON the server verifies, from what get() answered. */
export function authenticationJSON(credential) {
  const response = credential.response
  return {
    ...common(credential),
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined,
    },
  }
}

/**
 * The person closed the browser's passkey dialog, or no passkey of this site was there: not an
 * error to show in red, just nothing happened.
 */
export function wasCancelled(err) {
  return err?.name === 'NotAllowedError' || err?.name === 'AbortError'
}

/**
 * Register a passkey for the signed-in user of this API client; answers the stored passkey. The
 * server asks for the user's password again before it starts (a token alone adds no way in).
 */
export async function registerPasskey(
  api,
  name,
  password,
  credentials = globalThis.navigator.credentials,
) {
  const options = await api.post('/auth/passkeys/register/options', { password })
  const credential = await credentials.create({ publicKey: creationOptions(options.publicKey) })
  return api.post('/auth/passkeys/register', { credential: registrationJSON(credential), name })
}

/**
 * Ask the browser for a passkey of this site (of `username` only, when given) and trade its answer
 * for tokens, with the device fields of a password sign-in.
 */
export async function passkeyTokens(
  api,
  { username, device },
  credentials = globalThis.navigator.credentials,
) {
  const options = await api.post('/auth/passkeys/login/options', username ? { username } : {}, {
    auth: false,
  })
  const credential = await credentials.get({ publicKey: requestOptions(options.publicKey) })
  return api.post(
    '/auth/passkeys/login',
    { credential: authenticationJSON(credential), ...device },
    { auth: false },
  )
}

export const listPasskeys = (api) => api.get('/auth/passkeys')
export const renamePasskey = (api, id, name) => api.patch(`/auth/passkeys/${id}`, { name })
export const removePasskey = (api, id) => api.delete(`/auth/passkeys/${id}`)
