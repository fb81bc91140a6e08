import { beforeEach, describe, expect, it } from 'vitest'
import { createAppI18n, LOCALE_KEY, setLocale, toggleLocale } from './i18n.js'
import zhCN from './locales/zh-CN.json'
import en from './locales/en.json'

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

beforeEach(() => {
  localStorage.clear()
  document.documentElement.lang = ''
})

describe('i18n', () => {
  it('starts in Chinese when nothing was chosen', () => {
    const i18n = createAppI18n()
    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(document.documentElement.lang).toBe('zh-CN')
    expect(i18n.global.t('roles.specialist')).toBe('客户服务专员')
  })

  it('remembers a switch to English for the next load', () => {
    const first = createAppI18n()
    setLocale(first, 'en')

    expect(localStorage.getItem(LOCALE_KEY)).toBe('en')
    expect(document.documentElement.lang).toBe('en')
    expect(first.global.t('roles.admin')).toBe('Administrator')

    const next = createAppI18n()
    expect(next.global.locale.value).toBe('en')
  })

  it('toggles back and forth', () => {
    const i18n = createAppI18n()
    toggleLocale(i18n)
    expect(i18n.global.locale.value).toBe('en')
    toggleLocale(i18n.global)
    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(localStorage.getItem(LOCALE_KEY)).toBe('zh-CN')
  })

  it('ignores a stored value it does not know', () => {
    localStorage.setItem(LOCALE_KEY, 'fr')
    expect(createAppI18n().global.locale.value).toBe('zh-CN')
  })

  it('refuses to switch to an unknown locale', () => {
    expect(() => setLocale(createAppI18n(), 'fr')).toThrow(/unknown locale/)
  })

  it('has the same keys in both languages', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })

  it('names the roles and levels as the business does', () => {
    expect(zhCN.roles).toEqual({
      specialist: '客户服务专员',
      supervisor: '主管',
      reviewer: '审核员',
      phone_agent: '电话回访坐席',
      designer: '问卷设计员',
      compliance_officer: '合规专员',
      admin: '系统管理员',
    })
    expect(zhCN.levels).toEqual({ province: '省级', city: '市级', county: '县级' })
  })
})
