// Where the visit starts: the position with its accuracy, or why there is none. The record's
// place_status says which: ok, denied (the specialist or the tablet refused), unavailable (no
// fix: indoors, no GPS) or timeout.
export const GEO_TIMEOUT_MS = 20000

export function placeStatusOf(error) {
  if (!error) return 'unavailable'
  if (error.code === 1) return 'denied'
  if (error.code === 3) return 'timeout'
  return 'unavailable'
}

/**
 * @returns {Promise<{place: {lat, lon, accuracy_m, at: Date} | null, status}>}  never rejects
 */
export function locate({
  geolocation = globalThis.navigator?.geolocation,
  timeout = GEO_TIMEOUT_MS,
} = {}) {
  if (!geolocation) return Promise.resolve({ place: null, status: 'unavailable' })
  return new Promise((resolve) => {
    geolocation.getCurrentPosition(
      (pos) =>
        resolve({
          status: 'ok',
          place: {
            lat: pos.coords.latitude,
            lon: pos.coords.longitude,
            accuracy_m: Math.max(0, Math.round(pos.coords.accuracy ?? 0)),
            at: new Date(pos.timestamp || Date.now()),
          },
        }),
      (error) => resolve({ place: null, status: placeStatusOf(error) }),
      { enableHighAccuracy: true, timeout, maximumAge: 60000 },
    )
  })
}
