import { createRouter, createWebHashHistory } from 'vue-router'
import ConsoleLayout from './ConsoleLayout.vue'
import ConsoleLogin from './ConsoleLogin.vue'
import HomePage from './HomePage.vue'
import { PAGES, canOpen } from './pages.js'

export function createConsoleRouter(session) {
  const router = createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/login', name: 'login', component: ConsoleLogin, meta: { public: true } },
      {
        path: '/',
        component: ConsoleLayout,
        children: [
          { path: '', name: 'home', component: HomePage },
          ...PAGES.map(({ path, name, component, roles }) => ({
            path,
            name,
            component,
            meta: { roles },
          })),
        ],
      },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })
  router.beforeEach((to) => {
    if (!to.meta.public && !session.loggedIn) return { name: 'login' }
    if (to.name === 'login' && session.loggedIn) return { name: 'home' }
    // The server refuses these anyway (403); the page is not offered to other roles.
    if (!canOpen(to.meta, session)) return { name: 'home' }
    return true
  })
  return router
}
