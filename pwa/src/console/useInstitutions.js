import { computed, ref } from 'vue'
import { useSession } from '../shared/auth.js'
import { buildInstitutionTree, flattenTree } from '../shared/institutions.js'

/** The caller's institution subtree, loaded from the API and kept as a flat list and a tree. */
export function useInstitutions() {
  const session = useSession()
  const items = ref([])
  const loading = ref(false)
  const error = ref(null)

  const tree = computed(() => buildInstitutionTree(items.value))
  /** Every node, depth first, for pickers (each has .depth). */
  const ordered = computed(() => flattenTree(tree.value))

  async function load() {
    loading.value = true
    error.value = null
    try {
      const data = await session.api.get('/institutions')
      items.value = data.items ?? []
    } catch (err) {
      error.value = err
    } finally {
      loading.value = false
    }
  }

  return { items, tree, ordered, loading, error, load }
}
