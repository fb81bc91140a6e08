import { describe, expect, it } from 'vitest'
import { PAGES, canOpen, visiblePages } from './pages.js'

const as = (...roles) => ({ hasRole: (role) => roles.includes(role) })

describe('console pages', () => {
  it('offers administration pages to administrators only', () => {
    expect(visiblePages(as('admin')).map((p) => p.name)).toEqual(['institutions', 'users'])
    expect(visiblePages(as('specialist', 'reviewer'))).toEqual([])
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
})
