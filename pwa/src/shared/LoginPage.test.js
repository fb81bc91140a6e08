import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createSession, memoryStorage, SESSION_KEYS } from './auth.js'
import { createAppI18n } from './i18n.js'
import LoginPage from './LoginPage.vue'
import { apiError, response, sentBody } from '../test/http.js'

const ME = {
  id: 1,
  username: 'zhang',
  display_name: '张三',
  phone: null,
  institution: { id: 3, code: '370102', name: '历下区', level: 'county', path: [] },
  roles: ['specialist'],
  active: true,
}

function setup(fetch, app = 'field') {
  const storage = memoryStorage()
  const session = createSession(app, { storage, fetch })
  const wrapper = mount(LoginPage, {
    props: { app },
    global: { plugins: [createAppI18n(), session] },
  })
  return { wrapper, session, storage }
}

async function signIn(wrapper, username, password) {
  await wrapper.get('[data-testid="login-username"]').setValue(username)
  await wrapper.get('[data-testid="login-password"]').setValue(password)
  await wrapper.get('form').trigger('submit')
  await flushPromises()
}

beforeEach(() => localStorage.clear())

describe('LoginPage', () => {
  it('shows the title and the subtitle of its app', () => {
    const field = setup(vi.fn()).wrapper
    expect(field.text()).toContain('回访通')
    expect(field.text()).toContain('外勤面访')
    const console_ = setup(vi.fn(), 'console').wrapper
    expect(console_.text()).toContain('管理控制台')
  })

  it("shows the server's message, and follows a switch of language", async () => {
    const fetch = vi.fn(async () =>
      apiError(401, 'invalid_credentials', '用户名或密码错误', 'Wrong username or password'),
    )
    const { wrapper } = setup(fetch)

    await signIn(wrapper, 'zhang', 'wrong-password')

    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('用户名或密码错误')
    await wrapper.get('[data-testid="lang-switch"]').trigger('click')
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('Wrong username or password')
    expect(wrapper.get('[data-testid="login-submit"]').text()).toBe('Sign in')
    expect(document.documentElement.lang).toBe('en')
  })

  it('shows the message in English when English was chosen first', async () => {
    localStorage.setItem('huifang.locale', 'en')
    const fetch = vi.fn(async () =>
      apiError(403, 'user_inactive', '账号已停用', 'Account is inactive'),
    )
    const { wrapper } = setup(fetch)

    await signIn(wrapper, 'li', 'some-password')

    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('Account is inactive')
  })

  it('says when the server cannot be reached', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch')
    })
    const { wrapper } = setup(fetch)

    await signIn(wrapper, 'zhang', 'pw-1234567890')

    expect(wrapper.get('[data-testid="login-error"]').text()).toMatch(/无法连接服务器/)
  })

  it('asks for both fields before calling the server', async () => {
    const fetch = vi.fn()
    const { wrapper } = setup(fetch)

    await signIn(wrapper, 'zhang', '')

    expect(fetch).not.toHaveBeenCalled()
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('请输入用户名和密码')
  })

  it('signs in with the device id and app, keeps the session, and says so', async () => {
    const fetch = vi.fn(async () =>
      response(200, {
        access_token: 'A1',
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: 'R1',
        refresh_expires_in: 2592000,
        user: ME,
      }),
    )
    const { wrapper, session, storage } = setup(fetch)

    await signIn(wrapper, ' zhang ', 'correct-horse-battery')

    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/v1/auth/login')
    expect(init.headers.Authorization).toBeUndefined()
    const body = sentBody(fetch.mock.calls[0])
    expect(body).toMatchObject({
      username: 'zhang',
      password: 'correct-horse-battery',
      client: 'field',
    })
    expect(body.device_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(body.device_id).toBe(storage.getItem('huifang.device_id'))
    expect(wrapper.emitted('logged-in')[0]).toEqual([ME])
    expect(wrapper.find('[data-testid="login-error"]').exists()).toBe(false)
    expect(session.user).toEqual(ME)
    expect(JSON.parse(storage.getItem(SESSION_KEYS.field))).toMatchObject({
      access_token: 'A1',
      refresh_token: 'R1',
    })
  })

  it('says the device was revoked, then that its data was erased', async () => {
    const { wrapper, session } = setup(vi.fn())

    session.api.endSession('device_revoked')
    await flushPromises()
    expect(wrapper.get('[data-testid="login-error"]').text()).toContain('此设备已被管理员停用')
    expect(wrapper.find('[data-testid="login-wiped"]').exists()).toBe(false)

    session.state.localDataWiped = true // what the field app sets once the wipe is done
    await flushPromises()
    expect(wrapper.get('[data-testid="login-wiped"]').text()).toContain('已全部清除')
    await wrapper.get('[data-testid="lang-switch"]').trigger('click')
    expect(wrapper.get('[data-testid="login-error"]').text()).toContain('revoked this device')
    expect(wrapper.get('[data-testid="login-wiped"]').text()).toContain('has been erased')
  })
})
