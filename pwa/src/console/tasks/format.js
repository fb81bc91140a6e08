import { computed } from 'vue'
import { useI18n } from 'vue-i18n'

/** Times are stored in UTC and shown in Beijing time, in the page's language. */
export function useDateTime() {
  const { locale } = useI18n({ useScope: 'global' })
  return computed(() => {
    const fmt = new Intl.DateTimeFormat(locale.value, {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    })
    return (value) => (value ? fmt.format(new Date(value)) : '')
  })
}
