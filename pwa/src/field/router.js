import { createRouter, createWebHashHistory } from 'vue-router'
import FieldLogin from './FieldLogin.vue'
import HomePage from './HomePage.vue'

export function createFieldRouter(session) {
  const router = createRouter({
    // Hash routes: the server and the service worker only ever see /app/.
    history: createWebHashHistory(),
    routes: [
      { path: '/login', name: 'login', component: FieldLogin, meta: { public: true } },
      { path: '/', name: 'home', component: HomePage },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  })
  router.beforeEach((to) => {
    if (!to.meta.public && !session.loggedIn) return { name: 'login' }
    if (to.name === 'login' && session.loggedIn) return { name: 'home' }
    return true
  })
  return router
}
