import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'
import { fieldAppFiles, stripRemoteFontSources } from './build/plugins.js'

const root = fileURLToPath(new URL('.', import.meta.url))
const FIELD_HTML = 'app/index.html'

// One build, two pages: the field app at /app/ (offline, service worker) and the office console at
// /console/ (online only, no service worker). Flask serves dist/ as it is.
const fieldFiles = fieldAppFiles(FIELD_HTML)

export default defineConfig({
  root,
  base: '/',
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  css: {
    postcss: { plugins: [stripRemoteFontSources()] },
  },
  plugins: [
    vue(),
    // Vant per component, with its stylesheet per component: the full Vant CSS is ~53 KB gzip.
    Components({ dirs: [], dts: false, resolvers: [VantResolver()] }),
    fieldFiles.plugin,
    VitePWA({
      // Only the field app has a service worker. It lives at /app/sw.js so its scope is /app/ and
      // it never sees /console/ or /api/ navigations.
      filename: 'app/sw.js',
      scope: '/app/',
      strategies: 'generateSW',
      injectRegister: false, // src/field/serviceWorker.js registers it with workbox-window
      // The web manifest is a static file (public/app/manifest.webmanifest) linked from
      // app/index.html only; the plugin's own manifest would be linked from the console too, and
      // it would add a precache entry relative to the SW (/app/app/...) that cannot be fixed.
      manifest: false,
      includeManifestIcons: false,
      workbox: {
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
        globPatterns: [
          'app/**/*.{html,js,css,png,svg,webmanifest}',
          'assets/**/*.{js,css,png,svg,woff2}',
        ],
        globIgnores: ['app/sw.js', 'app/workbox-*.js'],
        // Keep only what the field app loads, and make each URL absolute: the SW sits in /app/,
        // and precache URLs are resolved against the SW's own URL.
        manifestTransforms: [fieldFiles.manifestTransform],
        navigateFallback: '/app/index.html',
        navigateFallbackAllowlist: [/^\/app\//],
        navigateFallbackDenylist: [/^\/api\//],
        // No runtime caching: /api/ always goes to the network (offline data will live in IndexedDB).
        runtimeCaching: [],
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      input: {
        app: fileURLToPath(new URL(FIELD_HTML, import.meta.url)),
        console: fileURLToPath(new URL('console/index.html', import.meta.url)),
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:5000',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.js', 'build/**/*.test.js'],
    restoreMocks: true,
    // Vant's ES modules import their CSS: let Vite handle them instead of Node.
    server: { deps: { inline: ['vant'] } },
  },
})
