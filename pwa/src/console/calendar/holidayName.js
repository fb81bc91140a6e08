import { useI18n } from 'vue-i18n'
import { holidayCode } from './calendarGrid.js'

/**
 * The name of a holiday in the page's language: the package's English names are translated,
 * names an administrator typed in (e.g. 春节) are shown as typed.
 */
export function useHolidayName() {
  const { t, te } = useI18n({ useScope: 'global' })
  return (name) => {
    if (!name) return ''
    const code = holidayCode(name)
    return code && te(`holidays.${code}`) ? t(`holidays.${code}`) : name
  }
}
