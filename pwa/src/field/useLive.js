// A Dexie live query as a Vue ref that follows the field context (re-subscribes after a user switch).
import { liveQuery } from 'dexie'
import { onScopeDispose, shallowRef, watch } from 'vue'

export function useLive(fieldRef, query, initial = null) {
  const value = shallowRef(initial)
  let sub = null
  const stop = watch(
    fieldRef,
    (field) => {
      sub?.unsubscribe()
      sub = null
      if (!field) return
      sub = liveQuery(() => query(field)).subscribe({
        next: (v) => (value.value = v),
        error: (err) => console.warn('live query failed', err),
      })
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    stop()
    sub?.unsubscribe()
  })
  return value
}
