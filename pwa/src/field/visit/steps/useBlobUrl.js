// An object URL for a stored (encrypted) blob, made when the id changes and revoked after.
import { onScopeDispose, ref, watch } from 'vue'

export function useBlobUrl(getBlob, idRef) {
  const url = ref(null)
  let made = null
  const drop = () => {
    if (made) URL.revokeObjectURL(made)
    made = null
  }
  watch(
    idRef,
    async (id) => {
      drop()
      url.value = null
      if (!id) return
      const blob = await getBlob(id)
      if (!blob || idRef.value !== id) return
      made = URL.createObjectURL(blob)
      url.value = made
    },
    { immediate: true },
  )
  onScopeDispose(drop)
  return url
}
