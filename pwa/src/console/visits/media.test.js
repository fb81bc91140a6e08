import { describe, expect, it, vi } from 'vitest'
import { SESSION_KEYS, memoryStorage } from '../../shared/auth.js'
import { fetchBlob, mediaPath, renderPath } from './media.js'

function storageWith(access) {
  const storage = memoryStorage()
  storage.setItem(
    SESSION_KEYS.console,
    JSON.stringify({ access_token: access, refresh_token: 'r' }),
  )
  return storage
}

describe('visit media', () => {
  it('names the API paths of a file and of a signature render', () => {
    expect(mediaPath('u-1', 'ab')).toBe('/visits/u-1/media/ab')
    expect(renderPath('u-1', 'holder')).toBe('/visits/u-1/signatures/holder.png')
  })

  it('sends the bearer token an <img> cannot, and refreshes it once on 401', async () => {
    const storage = storageWith('old')
    const session = {
      api: {
        refresh: vi.fn(async () => {
          storage.setItem(
            SESSION_KEYS.console,
            JSON.stringify({ access_token: 'new', refresh_token: 'r' }),
          )
        }),
      },
    }
    const seen = []
    const fetchImpl = vi.fn(async (url, init) => {
      seen.push(init.headers.Authorization)
      return init.headers.Authorization === 'Bearer new'
        ? new Response(new Uint8Array([137, 80, 78, 71]), { status: 200 })
        : new Response(JSON.stringify({ code: 'token_expired' }), { status: 401 })
    })
    const blob = await fetchBlob(session, '/visits/u/media/x', { fetchImpl, storage })
    expect(blob.size).toBe(4)
    expect(seen).toEqual(['Bearer old', 'Bearer new'])
    expect(session.api.refresh).toHaveBeenCalledTimes(1)
    expect(fetchImpl.mock.calls[0][0]).toBe('/api/v1/visits/u/media/x')
  })

  it('turns a refusal into the server’s error', async () => {
    const fetchImpl = async () =>
      new Response(
        JSON.stringify({ code: 'not_found', message: '文件不存在', message_en: 'No file' }),
        { status: 404 },
      )
    await expect(
      fetchBlob({ api: {} }, '/visits/u/media/x', { fetchImpl, storage: storageWith('a') }),
    ).rejects.toMatchObject({ code: 'not_found', status: 404 })
  })
})
