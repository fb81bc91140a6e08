// The outbox for components: live rows from Dexie and the engine's progress, as Vue refs.
import { liveQuery } from 'dexie'
import { onScopeDispose, ref, shallowRef } from 'vue'
import { retryVisit, visitPhase } from './db.js'

export function useOutbox(db, engine = null) {
  const visits = shallowRef([])
  const counts = ref({ waiting: 0, attention: 0, submitted: 0 })
  const progress = ref(engine ? engine.status : null)
  const error = ref(null)

  const subscription = liveQuery(() => db.visits.orderBy('createdAt').toArray()).subscribe({
    next(rows) {
      const tally = { waiting: 0, attention: 0, submitted: 0 }
      for (const row of rows) tally[visitPhase(row)] += 1
      visits.value = rows
      counts.value = tally
    },
    error(err) {
      error.value = err
    },
  })
  const off = engine?.on('progress', (p) => (progress.value = p))

  onScopeDispose(() => {
    subscription.unsubscribe()
    off?.()
  })

  return {
    visits,
    counts,
    progress,
    error,
    phase: visitPhase,
    sync: (options) => engine?.sync(options),
    retry: (uuid) => retryVisit(db, uuid),
  }
}
