import { describe, expect, it, vi } from 'vitest'
import {
  authenticationJSON,
  creationOptions,
  fromBase64url,
  passkeyTokens,
  registrationJSON,
  requestOptions,
  toBase64url,
  wasCancelled,
} from './passkeys.js'

const bytes = (...values) => new Uint8Array(values).buffer

describe('base64url', () => {
  it('round-trips every byte value without padding or + and /', () => {
    const all = new Uint8Array(256).map((_, i) => i)
    const text = toBase64url(all)
    expect(text).not.toMatch(/[+/=]/)
    expect(new Uint8Array(fromBase64url(text))).toEqual(all)
  })

  it('reads what the server writes (RFC 4648 §5) for every length', () => {
    expect(toBase64url(bytes(0xfb, 0xff))).toBe('-_8')
    expect(new Uint8Array(fromBase64url('-_8'))).toEqual(new Uint8Array([0xfb, 0xff]))
    for (let n = 0; n < 6; n += 1) {
      const input = new Uint8Array(n).fill(7)
      expect(new Uint8Array(fromBase64url(toBase64url(input)))).toEqual(input)
    }
  })
})

describe('options and answers', () => {
  it('turns the binary fields of the options into bytes', () => {
    const created = creationOptions({
      challenge: 'AQID',
      rp: { id: 'localhost', name: '回访通' },
      user: { id: 'BAU', name: 'wang', displayName: '王专员' },
      excludeCredentials: [{ id: 'Bg', type: 'public-key' }],
    })
    expect(new Uint8Array(created.challenge)).toEqual(new Uint8Array([1, 2, 3]))
    expect(new Uint8Array(created.user.id)).toEqual(new Uint8Array([4, 5]))
    expect(created.user.displayName).toBe('王专员')
    expect(new Uint8Array(created.excludeCredentials[0].id)).toEqual(new Uint8Array([6]))
    const requested = requestOptions({ challenge: 'AQID', rpId: 'localhost' })
    expect(requested.allowCredentials).toEqual([])
  })

  it('writes the answers as the JSON the server verifies', () => {
    const common = {
      id: 'Bw',
      rawId: bytes(7),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      getClientExtensionResults: () => ({}),
    }
    const made = registrationJSON({
      ...common,
      response: {
        clientDataJSON: bytes(1),
        attestationObject: bytes(2),
        getTransports: () => ['internal'],
      },
    })
    expect(made).toEqual({
      id: 'Bw',
      rawId: 'Bw',
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: { clientDataJSON: 'AQ', attestationObject: 'Ag', transports: ['internal'] },
    })
    const used = authenticationJSON({
      ...common,
      response: {
        clientDataJSON: bytes(1),
        authenticatorData: bytes(2),
        signature: bytes(3),
        userHandle: bytes(4),
      },
    })
    expect(used.response).toEqual({
      clientDataJSON: 'AQ',
      authenticatorData: 'Ag',
      signature: 'Aw',
      userHandle: 'BA',
    })
  })

  it('asks for options, the browser, then tokens with the device fields', async () => {
    const calls = []
    const api = {
      post: vi.fn(async (path, body, options) => {
        calls.push([path, body, options])
        if (path.endsWith('/options'))
          return { publicKey: { challenge: 'AQID', rpId: 'localhost' } }
        return { access_token: 'a', user: { username: 'wang' } }
      }),
    }
    const credentials = {
      get: vi.fn(async ({ publicKey }) => {
        expect(new Uint8Array(publicKey.challenge)).toEqual(new Uint8Array([1, 2, 3]))
        return {
          id: 'Bw',
          rawId: bytes(7),
          type: 'public-key',
          response: { clientDataJSON: bytes(1), authenticatorData: bytes(2), signature: bytes(3) },
        }
      }),
    }
    const device = { device_id: 'd', device_name: 'Chrome', client: 'field' }
    const grant = await passkeyTokens(api, { username: 'wang', device }, credentials)
    expect(grant.user.username).toBe('wang')
    expect(calls[0]).toEqual([
      '/auth/passkeys/login/options',
      { username: 'wang' },
      { auth: false },
    ])
    expect(calls[1][0]).toBe('/auth/passkeys/login')
    expect(calls[1][1]).toMatchObject({ ...device, credential: { id: 'Bw', rawId: 'Bw' } })
    expect(calls[1][2]).toEqual({ auth: false })
  })

  it('tells a closed dialog from an error', () => {
    expect(wasCancelled(new DOMException('closed', 'NotAllowedError'))).toBe(true)
    expect(wasCancelled(new Error('boom'))).toBe(false)
  })
})
