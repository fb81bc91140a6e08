import postcss from 'postcss'
import { describe, expect, it } from 'vitest'
import { fieldAppFiles, splitTopLevel, stripRemoteFontSources } from './plugins.js'

describe('stripRemoteFontSources', () => {
  const run = async (css) =>
    (await postcss([stripRemoteFontSources()]).process(css, { from: undefined })).css

  it('keeps the inline font and drops CDN fallbacks', async () => {
    const out = await run(
      '@font-face{font-family:vant-icon;src:url(data:font/woff2;base64,AAAA) format("woff2"),url(//at.example.com/f.woff?t=1) format("woff"),url("https://cdn.example.com/f.ttf") format("truetype")}',
    )
    expect(out).toContain('url(data:font/woff2;base64,AAAA) format("woff2")')
    expect(out).not.toMatch(/example\.com/)
  })

  it('removes a src that was only remote, and leaves other rules alone', async () => {
    const out = await run(
      '@font-face{font-family:x;src:url(https://cdn.example.com/x.woff2)} .a{background:url(https://example.com/a.png)}',
    )
    expect(out).toBe('@font-face{font-family:x} .a{background:url(https://example.com/a.png)}')
  })

  it('splits only on top-level commas', () => {
    expect(splitTopLevel('url(data:a,b) format("woff2"), url("x,y")')).toEqual([
      'url(data:a,b) format("woff2")',
      'url("x,y")',
    ])
  })
})

describe('fieldAppFiles', () => {
  const chunk = (fileName, extra = {}) => ({
    type: 'chunk',
    fileName,
    isEntry: false,
    imports: [],
    dynamicImports: [],
    viteMetadata: { importedCss: new Set(), importedAssets: new Set() },
    ...extra,
  })

  function generate(helper) {
    const bundle = {
      'assets/app.js': chunk('assets/app.js', {
        isEntry: true,
        facadeModuleId: '/repo/pwa/app/index.html',
        imports: ['assets/shared.js'],
        dynamicImports: ['assets/lazy.js'],
        viteMetadata: { importedCss: new Set(['assets/app.css']), importedAssets: new Set() },
      }),
      'assets/console.js': chunk('assets/console.js', {
        isEntry: true,
        facadeModuleId: '/repo/pwa/console/index.html',
        imports: ['assets/shared.js'],
        dynamicImports: ['assets/users.js'],
      }),
      'assets/shared.js': chunk('assets/shared.js', {
        viteMetadata: { importedCss: new Set(['assets/shared.css']), importedAssets: new Set() },
      }),
      'assets/lazy.js': chunk('assets/lazy.js'),
      'assets/users.js': chunk('assets/users.js'),
    }
    helper.plugin.generateBundle.call(
      {
        error: (m) => {
          throw new Error(m)
        },
      },
      {},
      bundle,
    )
  }

  it('precaches the field app and none of the console, with absolute URLs', async () => {
    const helper = fieldAppFiles('app/index.html')
    generate(helper)
    const entries = [
      'app/index.html',
      'app/icons/icon-192.png',
      'assets/app.js',
      'assets/app.css',
      'assets/shared.js',
      'assets/shared.css',
      'assets/lazy.js',
      'assets/console.js',
      'assets/users.js',
      'console/favicon-64.png',
    ].map((url) => ({ url, revision: null }))

    const { manifest } = await helper.manifestTransform(entries)

    expect(manifest.map((e) => e.url).sort()).toEqual(
      [
        '/app/index.html',
        '/app/icons/icon-192.png',
        '/assets/app.js',
        '/assets/app.css',
        '/assets/shared.js',
        '/assets/shared.css',
        '/assets/lazy.js',
      ].sort(),
    )
  })

  it('fails loudly if the bundle was never seen', async () => {
    await expect(fieldAppFiles('app/index.html').manifestTransform([])).rejects.toThrow(/unknown/)
  })
})
