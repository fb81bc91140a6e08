// ECharts for the console's statistics, loaded only when a chart is first drawn: the library is most
// of the console's weight and the field app never needs it. Only the parts used are pulled in
// (echartsSetup.js, tree-shaken), all bundled by Vite: nothing comes from a CDN.

let loading = null

export function loadECharts() {
  if (!loading) {
    loading = import('./echartsSetup.js')
      .then((module) => module.echarts)
      .catch((err) => {
        loading = null // a failed chunk load (offline) may be tried again
        throw err
      })
  }
  return loading
}
