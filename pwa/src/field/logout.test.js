// A revoked device wipes itself: whichever request hears `device_revoked` (a sync, a token refresh,
// a sign-in), every database the field app keeps on the browser is deleted, the session ends, and
// the login page is told. Other ends of a session (a reused refresh token) keep the data.
import 'fake-indexeddb/auto'
import Dexie from 'dexie'
import { shallowRef } from 'vue'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSession, memoryStorage, SESSION_KEYS } from '../shared/auth.js'
import { apiError, response } from '../test/http.js'
import { createFieldContext } from './context.js'
import { DB_PREFIX, wipeDevice, wipeOnRevocation } from './logout.js'
import { openSyncDb } from './sync/db.js'
import { openFieldDb } from './store/fieldDb.js'

const USER = { id: 7, username: 'specialist1', display_name: '王专员', roles: ['specialist'] }
const REVOKED = ['device_revoked', '此设备已被停用', 'This device has been revoked']

async function appDatabases() {
  return (await Dexie.getDatabaseNames()).filter((name) => name.startsWith(DB_PREFIX)).sort()
}

afterEach(async () => {
  for (const name of await appDatabases()) await Dexie.delete(name)
})

/** A signed-in field session whose requests `fetch` answers, and its open field context. */
function signedIn(fetch) {
  const storage = memoryStorage()
  storage.setItem(
    SESSION_KEYS.field,
    JSON.stringify({ access_token: 'A1', refresh_token: 'R1', user: USER }),
  )
  const session = createSession('field', { storage, fetch })
  const fieldRef = shallowRef(createFieldContext(session))
  wipeOnRevocation(session, fieldRef)
  return { session, storage, fieldRef }
}

/** What a specialist has on the tablet: a task, a finished visit in the outbox, a draft, a key. */
async function fillDevice(field) {
  await field.db.tasks.put({ id: 11, seq: 3, data: { id: 11, policy: { holder_name: '张三' } } })
  await field.db.visits.put({ uuid: 'v-1', taskId: 11, status: 'pending', state: null })
  await field.db.blobs.put({ sha256: 'ab'.repeat(32), blob: 'photo bytes' })
  await field.db.questionnaireVersions.put({ id: 5, seq: 2, data: {} })
  await field.fieldDb.drafts.put({
    id: 'd-1',
    taskId: 12,
    status: 'open',
    updatedAt: 1,
    sealed: {},
  })
  await field.fieldDb.keys.put({ name: 'device', key: 'not-a-real-key' })
}

describe('a revoked device', () => {
  it('wipes everything when a sync pull is answered device_revoked', async () => {
    const fetch = vi.fn(async () => apiError(401, ...REVOKED))
    const { session, storage, fieldRef } = signedIn(fetch)
    const field = fieldRef.value
    await fillDevice(field)
    // Another specialist who used this tablet before: their databases go too (the device is lost).
    const earlier = openSyncDb(3)
    await earlier.tasks.put({ id: 1, seq: 1, data: {} })
    earlier.close()
    expect(await appDatabases()).toEqual(['huifang-field-u7', 'huifang-sync-u3', 'huifang-sync-u7'])

    await expect(session.api.get('/sync/pull', { cursor: 0 })).rejects.toMatchObject({
      status: 401,
      code: 'device_revoked',
    })

    expect(session.loggedIn).toBe(false)
    expect(session.state.endedReason).toBe('device_revoked')
    expect(fieldRef.value).toBeNull() // nothing in the app uses the closed databases any more
    await vi.waitFor(() => expect(session.state.localDataWiped).toBe(true))
    expect(await appDatabases()).toEqual([])
    expect(storage.getItem(SESSION_KEYS.field)).toBeNull() // tokens and the cached user are gone
    // Opening the databases again finds them empty: no task, visit, draft or key survived.
    const sync = openSyncDb(USER.id)
    const own = openFieldDb(USER.id)
    expect(await sync.tasks.count()).toBe(0)
    expect(await sync.visits.count()).toBe(0)
    expect(await own.drafts.count()).toBe(0)
    expect(await own.keys.count()).toBe(0)
    sync.close()
    own.close()
    // The closed context's engine cannot write again behind the deletion.
    await expect(field.db.meta.put({ key: 'lastSyncAt', value: 1 })).rejects.toThrow()
  })

  it('wipes when the token refresh is answered device_revoked', async () => {
    const fetch = vi.fn(async (url) =>
      url.endsWith('/auth/refresh')
        ? apiError(401, ...REVOKED)
        : apiError(401, 'token_expired', '登录已过期', 'The access token has expired'),
    )
    const { session, fieldRef } = signedIn(fetch)
    await fillDevice(fieldRef.value)

    await expect(session.api.post('/sync/push', { visits: [] })).rejects.toMatchObject({
      code: 'device_revoked',
    })

    await vi.waitFor(() => expect(session.state.localDataWiped).toBe(true))
    expect(session.state.endedReason).toBe('device_revoked')
    expect(await appDatabases()).toEqual([])
  })

  it('wipes what an earlier sign-in left when sign-in is refused device_revoked', async () => {
    const left = openFieldDb(7)
    await left.drafts.put({ id: 'd-9', taskId: 1, status: 'open', updatedAt: 1, sealed: {} })
    left.close()
    const fetch = vi.fn(async () => apiError(403, ...REVOKED))
    const session = createSession('field', { storage: memoryStorage(), fetch })
    wipeOnRevocation(session, shallowRef(null))

    await expect(session.login('specialist1', 'pw')).rejects.toMatchObject({
      code: 'device_revoked',
    })

    await vi.waitFor(() => expect(session.state.localDataWiped).toBe(true))
    expect(await appDatabases()).toEqual([])
  })

  it('keeps the data when the session ends for another reason', async () => {
    const fetch = vi.fn(async (url) =>
      url.endsWith('/auth/refresh')
        ? apiError(
            401,
            'refresh_token_reused',
            '登录凭证已被使用过',
            'The refresh token was reused',
          )
        : apiError(401, 'token_expired', '登录已过期', 'The access token has expired'),
    )
    const { session, fieldRef } = signedIn(fetch)
    await fillDevice(fieldRef.value)

    await expect(session.api.get('/sync/pull')).rejects.toMatchObject({
      code: 'refresh_token_reused',
    })

    expect(session.state.endedReason).toBe('refresh_token_reused')
    expect(fieldRef.value).not.toBeNull()
    expect(session.state.localDataWiped).toBe(false)
    expect(await fieldRef.value.fieldDb.drafts.count()).toBe(1)
    expect(await appDatabases()).toEqual(['huifang-field-u7', 'huifang-sync-u7'])
    fieldRef.value.close()
  })

  it('wipes once when several requests hear device_revoked together', async () => {
    const fetch = vi.fn(async () => apiError(401, ...REVOKED))
    const { session, fieldRef } = signedIn(fetch)
    const close = vi.spyOn(fieldRef.value, 'close')
    const deletes = vi.spyOn(Dexie, 'delete')

    await Promise.allSettled([session.api.get('/sync/pull'), session.api.get('/me')])

    await vi.waitFor(() => expect(session.state.localDataWiped).toBe(true))
    expect(close).toHaveBeenCalledTimes(1)
    expect(new Set(deletes.mock.calls.map(([name]) => name)).size).toBe(deletes.mock.calls.length)
    expect(await appDatabases()).toEqual([])
  })
})

describe('wipeDevice', () => {
  it('deletes the open context’s databases and every other huifang database, nothing else', async () => {
    const other = new Dexie('someone-else')
    other.version(1).stores({ things: 'id' })
    await other.things.put({ id: 1 })
    other.close()
    const ok = vi.fn(async () => response(200, {}))
    const { fieldRef } = signedIn(ok)
    await fillDevice(fieldRef.value)

    const names = await wipeDevice(fieldRef.value)

    expect(names.sort()).toEqual(['huifang-field-u7', 'huifang-sync-u7'])
    expect(await appDatabases()).toEqual([])
    expect(await Dexie.getDatabaseNames()).toContain('someone-else')
    await Dexie.delete('someone-else')
  })
})
