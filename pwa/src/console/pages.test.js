import { describe, expect, it } from 'vitest'
import en from '../shared/locales/en.json'
import zh from '../shared/locales/zh-CN.json'
import { PAGES, canOpen, visiblePages } from './pages.js'

const as = (...roles) => ({ hasRole: (role) => roles.includes(role) })

describe('console pages', () => {
  it('says on the home page what every page in the navigation is for, in both languages', () => {
    const named = PAGES.filter((p) => p.label).map((p) => p.name)
    expect(named.filter((name) => !zh.console.homePages[name])).toEqual([])
    expect(named.filter((name) => !en.console.homePages[name])).toEqual([])
  })

  it('offers administration pages to administrators only', () => {
    const names = (...roles) => visiblePages(as(...roles)).map((p) => p.name)
    expect(names('admin')).toEqual(expect.arrayContaining(['institutions', 'users']))
    expect(names('specialist', 'reviewer')).not.toContain('institutions')
    expect(names('specialist', 'reviewer')).not.toContain('users')
  })

  it('offers the task, team load, risk alert and calendar pages by role', () => {
    const mine = ['tasks', 'team-load', 'risk-alerts', 'calendar']
    const names = (...roles) =>
      visiblePages(as(...roles))
        .map((p) => p.name)
        .filter((name) => mine.includes(name))
    expect(names('supervisor')).toEqual(['tasks', 'team-load', 'risk-alerts', 'calendar'])
    expect(names('admin')).toEqual(['tasks', 'team-load', 'risk-alerts', 'calendar'])
    expect(names('compliance_officer')).toEqual(['tasks', 'risk-alerts', 'calendar'])
    expect(names('reviewer')).toEqual(['tasks', 'calendar'])
    expect(names('phone_agent')).toEqual(['tasks', 'calendar'])
    // A specialist works in the field app; the calendar is everyone's.
    expect(names('specialist')).toEqual(['calendar'])
    expect(names('designer')).toEqual(['calendar'])
  })

  it('offers the questionnaire designer to designers and administrators', () => {
    const names = (...roles) => visiblePages(as(...roles)).map((p) => p.name)
    expect(names('designer')).toContain('questionnaires')
    expect(names('admin')).toContain('questionnaires')
    for (const role of [
      'specialist',
      'reviewer',
      'supervisor',
      'phone_agent',
      'compliance_officer',
    ]) {
      expect(names(role)).not.toContain('questionnaires')
    }
    // The version editor is reached from the list, never from the navigation.
    expect(names('designer', 'admin')).not.toContain('questionnaire-version')
    const editor = PAGES.find((p) => p.name === 'questionnaire-version')
    expect(canOpen(editor, as('designer'))).toBe(true)
    expect(canOpen(editor, as('specialist'))).toBe(false)
  })

  it('lets a page without roles be opened by anyone signed in', () => {
    expect(canOpen({}, as())).toBe(true)
    expect(canOpen({ roles: ['reviewer', 'admin'] }, as('reviewer'))).toBe(true)
  })

  it('gives every page a unique name, path and nav test id', () => {
    for (const key of ['name', 'path', 'testid']) {
      const values = PAGES.map((p) => p[key])
      expect(new Set(values).size).toBe(values.length)
    }
  })

  it('offers the intake page to administrators only', () => {
    const has = (...roles) => visiblePages(as(...roles)).some((p) => p.name === 'intake')
    expect(has('admin')).toBe(true)
    for (const role of [
      'supervisor',
      'reviewer',
      'phone_agent',
      'compliance_officer',
      'specialist',
    ]) {
      expect(has(role)).toBe(false)
    }
  })

  it('offers the received visits to the office roles, never to specialists or designers', () => {
    const has = (...roles) => visiblePages(as(...roles)).some((p) => p.name === 'visits')
    for (const role of ['reviewer', 'supervisor', 'admin', 'compliance_officer', 'phone_agent']) {
      expect(has(role)).toBe(true)
    }
    expect(has('specialist')).toBe(false)
    expect(has('designer')).toBe(false)
    // One visit is opened from the list, not from the navigation.
    expect(visiblePages(as('reviewer')).map((p) => p.name)).not.toContain('visit')
    const detail = PAGES.find((p) => p.name === 'visit')
    expect(canOpen(detail, as('reviewer'))).toBe(true)
    expect(canOpen(detail, as('specialist'))).toBe(false)
  })

  it('offers the problem categories to administrators and compliance officers', () => {
    const has = (...roles) => visiblePages(as(...roles)).some((p) => p.name === 'categories')
    expect(has('admin')).toBe(true)
    expect(has('compliance_officer')).toBe(true)
    for (const role of ['specialist', 'reviewer', 'supervisor', 'phone_agent', 'designer']) {
      expect(has(role)).toBe(false)
    }
  })
})
