import { createRouter, createWebHashHistory } from 'vue-router'
import FieldLogin from './FieldLogin.vue'
import HomePage from './HomePage.vue'

export function createFieldRouter(session) {
  const router = createRouter({
    // Hash routes: the server and the service worker only ever see /app/.
    history: createWebHashHistory(),
    routes: [
      { path: '/login', name: 'login', component: FieldLogin, meta: { public: true } },
      { path: '/', name: 'home', component: HomePage, meta: { tab: true } },
      { path: '/task/:id', name: 'task', component: () => import('./tasks/TaskDetailPage.vue') },
      // The visit (signature pad, photo resizing) loads on demand; the service worker precaches
      // it with the rest, so it opens offline too.
      { path: '/visit/:taskId', name: 'visit', component: () => import('./visit/VisitPage.vue') },
      {
        path: '/outbox',
        name: 'outbox',
        component: () => import('./outbox/OutboxPage.vue'),
        meta: { tab: true },
      },
      { path: '/me', name: 'me', component: () => import('./MePage.vue'), meta: { tab: true } },
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
