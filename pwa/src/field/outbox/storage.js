// Whether the device has room for more visits (navigator.storage.estimate()).
export const WARN_FREE_MB = 300
export const FULL_FREE_MB = 60

/** {level: ok | low | full, freeMb, percent} from {usage, quota}. */
export function storageVerdict({ usage = 0, quota = 0 } = {}) {
  if (!quota) return { level: 'ok', freeMb: null, percent: null }
  const freeMb = Math.max(0, Math.floor((quota - usage) / (1024 * 1024)))
  const percent = Math.round((usage * 100) / quota)
  let level = 'ok'
  if (freeMb < FULL_FREE_MB || percent >= 95) level = 'full'
  else if (freeMb < WARN_FREE_MB || percent >= 80) level = 'low'
  return { level, freeMb, percent }
}
