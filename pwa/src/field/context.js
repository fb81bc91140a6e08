// What the field app holds for the signed-in specialist: the sync database and engine (sync/), the
// field database (drafts, device key, settings) and the draft store. Made once per user, on first
// use after sign-in; a different user on the same tablet gets their own databases.
import { inject, provide, shallowRef, watch } from 'vue'
import { createSyncEngine, openSyncDb } from './sync/index.js'
import { openFieldDb } from './store/fieldDb.js'
import { createDraftStore } from './store/drafts.js'

export const APP_VERSION = 'field-0.1.0'
const FIELD = Symbol('huifang.field')

export function createFieldContext(session) {
  const userId = session.user.id
  const db = openSyncDb(userId)
  const fieldDb = openFieldDb(userId)
  const engine = createSyncEngine({ api: session.api, db })
  const drafts = createDraftStore(fieldDb)
  engine.start()
  return {
    userId,
    db,
    fieldDb,
    engine,
    drafts,
    close() {
      engine.stop()
      db.close()
      fieldDb.close()
    },
  }
}

/** In App.vue: the context follows the session (made at sign-in, closed at sign-out). */
export function provideField(session) {
  const current = shallowRef(null)
  watch(
    () => session.user?.id ?? null,
    (id) => {
      if (current.value && current.value.userId !== id) {
        current.value.close()
        current.value = null
      }
      if (id != null && !current.value) current.value = createFieldContext(session)
    },
    { immediate: true },
  )
  provide(FIELD, current)
  return current
}

/** The context as a shallow ref (null while signed out). */
export function useField() {
  const field = inject(FIELD, null)
  if (!field) throw new Error('no field context: provideField() in App.vue')
  return field
}
