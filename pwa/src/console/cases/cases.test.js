import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import en from '../../shared/locales/en.json'
import zhCN from '../../shared/locales/zh-CN.json'
import { PAGES, canOpen, visiblePages } from '../pages.js'
import { caseActions, caseQuery, emptyFilters, eventView, resolveBody } from './cases.js'

const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en } })
const zh = { t: i18n.global.t, te: i18n.global.te }
const as = (id, ...roles) => ({ user: { id }, hasRole: (role) => roles.includes(role) })

describe('case pages', () => {
  it('offers the cases to the office roles, never to specialists or designers', () => {
    const has = (...roles) => visiblePages(as(1, ...roles)).some((p) => p.name === 'cases')
    for (const role of ['supervisor', 'reviewer', 'phone_agent', 'compliance_officer', 'admin']) {
      expect(has(role)).toBe(true)
    }
    expect(has('specialist')).toBe(false)
    expect(has('designer')).toBe(false)
    const one = PAGES.find((p) => p.name === 'case')
    expect(visiblePages(as(1, 'admin')).map((p) => p.name)).not.toContain('case')
    expect(canOpen(one, as(1, 'phone_agent'))).toBe(true)
  })

  it('names the kinds in Chinese', () => {
    expect(zh.t('cases.kinds.compliance')).toBe('合规问题件')
    expect(zh.t('cases.kinds.problem')).toBe('问题件')
    expect(zh.t('cases.kinds.re_sign')).toBe('补签名件')
  })
})

describe('list query', () => {
  it('sends the filters the server knows, and "mine" as my id', () => {
    expect(caseQuery(emptyFilters())).toEqual({ limit: 30 })
    expect(
      caseQuery(
        { kind: 'compliance', status: 'open', overdue: true, mine: true },
        { me: 7, cursor: 90 },
      ),
    ).toEqual({
      limit: 30,
      kind: 'compliance',
      status: 'open',
      overdue: 'true',
      owner_id: 7,
      cursor: 90,
    })
    expect(caseQuery({ kind: 'bogus', status: 'open_any' })).toEqual({ limit: 30, open: 'true' })
  })
})

describe('actions', () => {
  const compliance = { kind: 'compliance', status: 'open', owner: null }
  const problem = { kind: 'problem', status: 'in_progress', owner: { id: 3 } }

  it('lets only compliance officers and administrators resolve a compliance case', () => {
    expect(caseActions(compliance, as(5, 'compliance_officer'))).toEqual({
      take: true,
      note: true,
      resolve: true,
      blocked: null,
    })
    expect(caseActions(compliance, as(5, 'reviewer'))).toMatchObject({
      take: true,
      resolve: false,
      blocked: 'compliance_only',
    })
    expect(caseActions(problem, as(5, 'reviewer')).resolve).toBe(true)
  })

  it('does not offer to take a case one already owns, nor anything on a resolved one', () => {
    expect(caseActions(problem, as(3, 'supervisor')).take).toBe(false)
    expect(caseActions({ ...problem, status: 'resolved' }, as(3, 'admin'))).toMatchObject({
      resolve: false,
      blocked: 'resolved',
    })
  })

  it('leaves phone agents reading', () => {
    expect(caseActions(problem, as(9, 'phone_agent'))).toMatchObject({
      take: false,
      note: false,
      resolve: false,
      blocked: 'read_only',
    })
  })
})

describe('resolving', () => {
  it('needs the resolution, and the finding for a compliance case', () => {
    expect(resolveBody({ kind: 'compliance' }, ' ', '')).toEqual({
      errors: { resolution: 'cases.needResolution', finding: 'cases.needFinding' },
    })
    expect(resolveBody({ kind: 'compliance' }, '已核实，业务员代签', 'substantiated')).toEqual({
      body: { resolution: '已核实，业务员代签', finding: 'substantiated' },
    })
    expect(resolveBody({ kind: 'problem' }, '已补签', '')).toEqual({
      body: { resolution: '已补签' },
    })
  })
})

describe('history', () => {
  it('says who took the case, what moved and how it ended', () => {
    const actor = { id: 4, display_name: '周合规' }
    expect(eventView({ action: 'owner', actor, data: { to_owner: 4 } }, zh).label).toBe('接手负责')
    expect(eventView({ action: 'owner', actor, data: { to_owner: 8 } }, zh).label).toBe(
      '负责人变更',
    )
    expect(
      eventView({ action: 'due_date', data: { before: '2026-12-01', after: '2026-12-08' } }, zh)
        .label,
    ).toBe('到期日由 2026-12-01 改为 2026-12-08')
    expect(
      eventView({ action: 'resolved', note: '已处理', data: { finding: 'unsubstantiated' } }, zh),
    ).toEqual({ label: '办结', text: '调查结论：不属实 · 已处理' })
    expect(eventView({ action: 'opened', note: '签名非本人', data: {} }, zh)).toEqual({
      label: '开立',
      text: '签名非本人',
    })
    expect(eventView({ action: 'mystery', data: {} }, zh).label).toBe('mystery')
  })
})
