// Build helpers for vite.config.js. Kept apart so the config stays a list of decisions.

/**
 * The files the field app loads, found from the bundle itself, so the service worker precaches
 * the field app and nothing of the console (the two pages share /assets/).
 *
 * Returns a Vite plugin that records the files while the bundle is generated, and a Workbox
 * manifest transform (run later, when vite-plugin-pwa writes the SW) that keeps only those files
 * and makes their URLs absolute.
 */
export function fieldAppFiles(htmlPath) {
  const files = new Set()

  const plugin = {
    name: 'huifang:field-app-files',
    apply: 'build',
    generateBundle(_options, bundle) {
      files.clear()
      const chunks = Object.values(bundle).filter((item) => item.type === 'chunk')
      const entry = chunks.find(
        (chunk) => chunk.isEntry && chunk.facadeModuleId?.replaceAll('\\', '/').endsWith(htmlPath),
      )
      if (!entry) this.error(`no entry chunk for ${htmlPath}`)
      const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]))
      const visit = (chunk) => {
        if (!chunk || files.has(chunk.fileName)) return
        files.add(chunk.fileName)
        for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css)
        for (const asset of chunk.viteMetadata?.importedAssets ?? []) files.add(asset)
        for (const name of [...chunk.imports, ...chunk.dynamicImports]) visit(byName.get(name))
      }
      visit(entry)
    },
  }

  const manifestTransform = async (entries) => {
    if (files.size === 0) throw new Error('field app files unknown: generateBundle did not run')
    const dir = htmlPath.slice(0, htmlPath.lastIndexOf('/') + 1)
    const manifest = entries
      .filter((entry) => entry.url.startsWith(dir) || files.has(entry.url))
      .map((entry) => ({ ...entry, url: `/${entry.url}` }))
    return { manifest, warnings: [] }
  }

  return { plugin, manifestTransform, files }
}

/**
 * PostCSS plugin: drop remote sources from @font-face rules. Vant's icon font ships as inline
 * WOFF2 plus fallbacks on a public CDN; the system runs on closed networks, so nothing may point
 * outside (browsers that read WOFF2 never used the fallbacks anyway).
 */
export function stripRemoteFontSources() {
  const remote = /url\(\s*['"]?(https?:)?\/\//i
  return {
    postcssPlugin: 'huifang-strip-remote-font-sources',
    AtRule: {
      'font-face': (rule) => {
        rule.walkDecls('src', (decl) => {
          const sources = splitTopLevel(decl.value).filter((source) => !remote.test(source))
          if (sources.length === 0) decl.remove()
          else decl.value = sources.join(',')
        })
      },
    },
  }
}
stripRemoteFontSources.postcss = true

// Split a CSS value on commas that are not inside parentheses or quotes.
export function splitTopLevel(value) {
  const parts = []
  let depth = 0
  let quote = null
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (quote) {
      if (ch === quote && value[i - 1] !== '\\') quote = null
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      parts.push(value.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(value.slice(start).trim())
  return parts.filter(Boolean)
}
