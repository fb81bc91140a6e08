// The outbox and the engine's progress for any component (the bar on every page, the outbox page).
import { computed, onScopeDispose, ref, watch } from 'vue'
import { useField } from '../context.js'
import { useLive } from '../useLive.js'
import { describeVisits, summarise } from './summary.js'

export function useSyncState() {
  const field = useField()
  const visits = useLive(field, (f) => f.db.visits.orderBy('createdAt').toArray(), [])
  const media = useLive(field, (f) => f.db.media.toArray(), [])
  const progress = ref(null)
  let off = null
  watch(
    field,
    (f) => {
      off?.()
      off = null
      if (!f) return
      progress.value = f.engine.status
      off = f.engine.on('progress', (p) => (progress.value = p))
    },
    { immediate: true },
  )
  onScopeDispose(() => off?.())
  const described = computed(() => describeVisits(visits.value, media.value, progress.value))
  const summary = computed(() => summarise(described.value))
  return {
    field,
    visits,
    described,
    summary,
    progress,
    sync: () => field.value?.engine.sync(),
  }
}
