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
  {
    // 设备: the tablets and browsers of the subtree's users; revoking a lost one wipes it.
    path: 'devices',
    name: 'devices',
    label: 'devices.nav',
    testid: 'nav-devices',
    roles: ['admin', 'supervisor'],
    component: () => import('./devices/DevicesPage.vue'),
  },
  {
    // 审计日志 (issue #11): every write and every read of full ID numbers and phones, searchable.
    path: 'audit',
    name: 'audit',
    label: 'audit.nav',
    testid: 'nav-audit',
    roles: ['admin'],
    component: () => import('./audit/AuditPage.vue'),
  },
  {
    path: 'tasks',
    name: 'tasks',
    label: 'tasks.nav',
    testid: 'nav-tasks',
    roles: ['supervisor', 'admin', 'reviewer', 'phone_agent', 'compliance_officer'],
    component: () => import('./tasks/TasksPage.vue'),
  },
  {
    // 已回收面访: what tablets sent, for the reviewers of issue 9 (decisions come later).
    path: 'visits',
    name: 'visits',
    label: 'visits.nav',
    testid: 'nav-visits',
    roles: ['reviewer', 'supervisor', 'admin', 'compliance_officer', 'phone_agent'],
    component: () => import('./visits/VisitsPage.vue'),
  },
  {
    // One received visit, reached from the list (not in the nav).
    path: 'visits/:uuid',
    name: 'visit',
    testid: 'nav-visit',
    roles: ['reviewer', 'supervisor', 'admin', 'compliance_officer', 'phone_agent'],
    component: () => import('./visits/VisitPage.vue'),
  },
  {
    // 面访审核: completed visits waiting for a decision, the riskiest first (R14, R16).
    path: 'review',
    name: 'review',
    label: 'review.nav',
    testid: 'nav-review',
    roles: ['reviewer', 'supervisor', 'admin'],
    component: () => import('./review/ReviewQueuePage.vue'),
  },
  {
    // One visit under review, reached from the queue or the visit page (not in the nav).
    path: 'review/:uuid',
    name: 'review-visit',
    testid: 'nav-review-visit',
    roles: ['reviewer', 'supervisor', 'admin'],
    component: () => import('./review/ReviewPage.vue'),
  },
  {
    // 电话回访: the confirming callbacks (R14); agents call, the others read.
    path: 'callbacks',
    name: 'callbacks',
    label: 'callbacks.nav',
    testid: 'nav-callbacks',
    roles: ['phone_agent', 'supervisor', 'admin', 'reviewer', 'compliance_officer'],
    component: () => import('./callbacks/CallbacksPage.vue'),
  },
  {
    // 问题件: problem, compliance (R16) and re-sign (R15) cases.
    path: 'cases',
    name: 'cases',
    label: 'cases.nav',
    testid: 'nav-cases',
    roles: ['supervisor', 'reviewer', 'phone_agent', 'compliance_officer', 'admin'],
    component: () => import('./cases/CasesPage.vue'),
  },
  {
    // One case with its history (not in the nav).
    path: 'cases/:id',
    name: 'case',
    testid: 'nav-case',
    roles: ['supervisor', 'reviewer', 'phone_agent', 'compliance_officer', 'admin'],
    component: () => import('./cases/CasePage.vue'),
  },
  {
    // 信函回访 (R13): the questionnaire by post; the signed paper comes back and is reviewed.
    path: 'letters',
    name: 'letters',
    label: 'letters.nav',
    testid: 'nav-letters',
    roles: ['supervisor', 'reviewer', 'phone_agent', 'admin', 'compliance_officer'],
    component: () => import('./letters/LettersPage.vue'),
  },
  {
    // 回访查询 (R4): any task, visit, callback, case or policy; exports audited and masked by role.
    path: 'search',
    name: 'search',
    label: 'search.nav',
    testid: 'nav-search',
    roles: ['supervisor', 'admin', 'reviewer', 'phone_agent', 'compliance_officer'],
    component: () => import('./search/SearchPage.vue'),
  },
  {
    // 回访统计 (R4): figures by institution (drill-down), specialist, item, month; monthly report.
    path: 'stats',
    name: 'stats',
    label: 'stats.nav',
    testid: 'nav-stats',
    roles: ['supervisor', 'admin', 'reviewer', 'compliance_officer'],
    component: () => import('./stats/StatsPage.vue'),
  },
  {
    path: 'team-load',
    name: 'team-load',
    label: 'teamLoad.nav',
    testid: 'nav-team-load',
    roles: ['supervisor', 'admin'],
    component: () => import('./tasks/TeamLoadPage.vue'),
  },
  {
    path: 'risk-alerts',
    name: 'risk-alerts',
    label: 'risk.nav',
    testid: 'nav-risk-alerts',
    roles: ['supervisor', 'compliance_officer', 'admin'],
    component: () => import('./risk/RiskAlertsPage.vue'),
  },
  {
    // 问题分类: everyone signed in reads the taxonomy; administrators and compliance officers edit it.
    path: 'problem-categories',
    name: 'categories',
    label: 'categories.nav',
    testid: 'nav-categories',
    roles: ['admin', 'compliance_officer'],
    component: () => import('./categories/CategoriesPage.vue'),
  },
  {
    // Everyone signed in reads the calendar; only administrators change it.
    path: 'calendar',
    name: 'calendar',
    label: 'calendar.nav',
    testid: 'nav-calendar',
    component: () => import('./calendar/CalendarPage.vue'),
  },
  {
    path: 'questionnaires',
    name: 'questionnaires',
    label: 'designer.nav',
    testid: 'nav-questionnaires',
    roles: ['designer', 'admin'],
    component: () => import('./designer/QuestionnairesPage.vue'),
  },
  {
    // One version of a questionnaire: the designer's editor, preview and diff (not in the nav).
    path: 'questionnaires/versions/:versionId',
    name: 'questionnaire-version',
    testid: 'nav-questionnaire-version',
    roles: ['designer', 'admin'],
    component: () => import('./designer/VersionPage.vue'),
  },
  {
    path: 'intake',
    name: 'intake',
    label: 'intake.nav',
    testid: 'nav-intake',
    roles: ['admin'],
    component: () => import('./intake/IntakePage.vue'),
  },
  {
    // 我的账号: everyone's own settings (passkeys).
    path: 'account',
    name: 'account',
    label: 'passkeys.navAccount',
    testid: 'nav-account',
    component: () => import('./account/AccountPage.vue'),
  },
]

export function canOpen(page, session) {
  return !page.roles || page.roles.some((role) => session.hasRole(role))
}

export function visiblePages(session, pages = PAGES) {
  return pages.filter((page) => page.label && canOpen(page, session))
}
