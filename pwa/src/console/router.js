import { createRouter, createWebHashHistory } from 'vue-router'
import ConsoleLayout from './ConsoleLayout.vue'
import ConsoleLogin from './ConsoleLogin.vue'
import HomePage from './HomePage.vue'

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
          {
            path: 'institutions',
            name: 'institutions',
            component: () => import('./InstitutionsPage.vue'),
            meta: { role: 'admin' },
          },
          {
            path: 'users',
            name: 'users',
            component: () => import('./UsersPage.vue'),
            meta: { role: 'admin' },
          },
        ],
      },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })
  router.beforeEach((to) => {
    if (!to.meta.public && !session.loggedIn) return { name: 'login' }
    if (to.name === 'login' && session.loggedIn) return { name: 'home' }
    // The server refuses these anyway (403); the page is not offered to other roles.
    if (to.meta.role && !session.hasRole(to.meta.role)) return { name: 'home' }
    return true
  })
  return router
}
