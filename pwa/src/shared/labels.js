import { useI18n } from 'vue-i18n'

/** Localised names for role codes and institution levels, falling back to the code itself. */
export function useLabels() {
  const { t, te, locale } = useI18n({ useScope: 'global' })
  const role = (code) => (te(`roles.${code}`) ? t(`roles.${code}`) : code)
  const level = (code) => (te(`levels.${code}`) ? t(`levels.${code}`) : code)
  const list = (items) => items.join(locale.value === 'en' ? ', ' : '、')
  return { role, level, roles: (codes) => list((codes ?? []).map(role)) }
}
