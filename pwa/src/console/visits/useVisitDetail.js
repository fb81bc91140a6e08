// Loading one visit for reading (the visit page, the review page): the visit from `pathOf(uuid)`,
// then the full policy record when the caller may read it (it fills more of the questions'
// placeholders; without it the task's view of the policy does).
import { reactive } from 'vue'

export function useVisitDetail(session, pathOf) {
  const state = reactive({ visit: null, policy: null, loading: false, error: null })
  let generation = 0 // a slower answer for an earlier visit is dropped

  async function load(uuid) {
    if (!uuid) return
    const mine = ++generation
    state.loading = true
    state.error = null
    state.visit = null
    state.policy = null
    try {
      const visit = await session.api.get(pathOf(uuid))
      let policy = null
      try {
        policy = await session.api.get(
          `/policies/${encodeURIComponent(visit.task.policy.policy_number)}`,
        )
      } catch {
        policy = null
      }
      if (mine !== generation) return
      state.policy = policy
      state.visit = visit
    } catch (err) {
      if (mine === generation) state.error = err
    } finally {
      if (mine === generation) state.loading = false
    }
  }

  return { state, load }
}
