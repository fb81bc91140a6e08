// A visit in progress for a component: the draft as a Vue ref, loaded from IndexedDB, and every
// change written back at once (the screen shows the change immediately; `saved` says when it is on
// disk).
import { ref, shallowRef } from 'vue'

export function useVisitDraft(store, taskId) {
  const draft = shallowRef(null)
  const loading = ref(true)
  const saving = ref(0)
  const saveError = ref(null)
  const saved = ref(true)

  async function load() {
    loading.value = true
    try {
      draft.value = await store.openForTask(taskId)
    } finally {
      loading.value = false
    }
    return draft.value
  }

  async function persist(next) {
    saving.value += 1
    saved.value = false
    try {
      await store.save(next)
      saveError.value = null
    } catch (err) {
      saveError.value = err
      throw err
    } finally {
      saving.value -= 1
      if (!saving.value) saved.value = saveError.value === null
    }
    return next
  }

  /** Begin a new draft (already shaped by the visit machine's newDraft). */
  function begin(initial) {
    draft.value = initial
    return persist(initial)
  }

  /** Change the draft: an object to merge, or a function of the draft giving the next one. */
  function update(patch) {
    if (!draft.value) throw new Error('no visit in progress')
    const next = typeof patch === 'function' ? patch(draft.value) : { ...draft.value, ...patch }
    draft.value = next
    return persist(next)
  }

  return {
    draft,
    loading,
    saved,
    saving,
    saveError,
    load,
    begin,
    update,
    putBlob: (blob) => store.putBlob(draft.value.id, blob),
    getBlob: (id) => store.getBlob(id),
    deleteBlob: (id) => store.deleteBlob(id),
    remove: () => store.remove(draft.value.id),
  }
}
