// The console's pages: one list feeds the router and the navigation. A page with `roles` is offered
// only to users holding one of them (the server refuses the others anyway, with 403).
// A new page is one more entry here.

export const PAGES = [
  {
    path: 'institutions',
    name: 'institutions',
    label: 'console.navInstitutions',
    testid: 'nav-institutions',
    roles: ['admin'],
    component: () => import('./InstitutionsPage.vue'),
  },
  {
    path: 'users',
    name: 'users',
    label: 'console.navUsers',
    testid: 'nav-users',
    roles: ['admin'],
    component: () => import('./UsersPage.vue'),
  },
]

export function canOpen(page, session) {
  return !page.roles || page.roles.some((role) => session.hasRole(role))
}

export function visiblePages(session, pages = PAGES) {
  return pages.filter((page) => page.label && canOpen(page, session))
}
