import { onScopeDispose, ref } from 'vue'

export function useOnline() {
  const online = ref(navigator.onLine)
  const set = () => (online.value = navigator.onLine)
  window.addEventListener('online', set)
  window.addEventListener('offline', set)
  onScopeDispose(() => {
    window.removeEventListener('online', set)
    window.removeEventListener('offline', set)
  })
  return online
}
