// Toasts and confirmations in the page's language. Vant's function-call APIs are not components,
// so their styles are imported here by hand.
import { showConfirmDialog } from 'vant/es/dialog/function-call'
import { showFailToast, showSuccessToast } from 'vant/es/toast/function-call'
import 'vant/es/dialog/style'
import 'vant/es/toast/style'
import { useI18n } from 'vue-i18n'
import { errorText } from './api.js'

export function useFeedback() {
  const { locale } = useI18n({ useScope: 'global' })
  return {
    ok: (message) => showSuccessToast({ message, wordBreak: 'break-word' }),
    fail: (err) =>
      showFailToast({
        message: typeof err === 'string' ? err : errorText(err, locale.value),
        wordBreak: 'break-word',
        duration: 3000,
      }),
    /** Resolves true when confirmed, false when cancelled. */
    confirm: (message) =>
      showConfirmDialog({ message }).then(
        () => true,
        () => false,
      ),
  }
}
