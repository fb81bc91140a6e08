import { createI18n } from 'vue-i18n'
import { Locale as VantLocale } from 'vant/es/locale'
import vantEnUS from 'vant/es/locale/lang/en-US'
import vantZhCN from 'vant/es/locale/lang/zh-CN'
import zhCN from './locales/zh-CN.json'
import en from './locales/en.json'

export const LOCALES = ['zh-CN', 'en']
export const DEFAULT_LOCALE = 'zh-CN'
export const LOCALE_KEY = 'huifang.locale'

const VANT_LOCALES = {
  'zh-CN': ['zh-CN', vantZhCN],
  en: ['en-US', vantEnUS],
}

function storage() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // storage can be refused (private mode, policies): fall back to the default
  }
}

/** The saved choice if it is one we know, otherwise Chinese. */
export function savedLocale() {
  const value = storage()?.getItem(LOCALE_KEY)
  return LOCALES.includes(value) ? value : DEFAULT_LOCALE
}

function applyLocale(locale) {
  if (typeof document !== 'undefined') document.documentElement.lang = locale
  VantLocale.use(...VANT_LOCALES[locale])
}

export function createAppI18n() {
  const locale = savedLocale()
  const i18n = createI18n({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages: { 'zh-CN': zhCN, en },
    missingWarn: false,
    fallbackWarn: false,
  })
  applyLocale(locale)
  return i18n
}

/**
 * Switch the language of the whole page and remember it for next time.
 * `target` is the i18n instance or its global composer (what useI18n gives a component).
 */
export function setLocale(target, locale) {
  if (!LOCALES.includes(locale)) throw new Error(`unknown locale ${locale}`)
  const composer = target.global ?? target
  composer.locale.value = locale
  storage()?.setItem(LOCALE_KEY, locale)
  applyLocale(locale)
}

export function toggleLocale(target) {
  const composer = target.global ?? target
  setLocale(composer, composer.locale.value === 'zh-CN' ? 'en' : 'zh-CN')
}
