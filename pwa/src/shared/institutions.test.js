import { describe, expect, it } from 'vitest'
import { buildInstitutionTree, childLevel, flattenTree, pathLabel } from './institutions.js'

const inst = (id, parent_id, name, level) => ({
  id,
  parent_id,
  name,
  level,
  code: `C${id}`,
  active: true,
})

const FLAT = [
  inst(1, null, '山东省', 'province'),
  inst(2, 1, '济南市', 'city'),
  inst(3, 2, '历下区', 'county'),
  inst(4, 2, '市中区', 'county'),
  inst(5, 1, '青岛市', 'city'),
  inst(6, 5, '市南区', 'county'),
]

const names = (nodes) => nodes.map((n) => n.name)

describe('buildInstitutionTree', () => {
  it('nests children under parents, keeping the server order among siblings', () => {
    const roots = buildInstitutionTree(FLAT)

    expect(names(roots)).toEqual(['山东省'])
    expect(names(roots[0].children)).toEqual(['济南市', '青岛市'])
    expect(names(roots[0].children[0].children)).toEqual(['历下区', '市中区'])
    expect(names(roots[0].children[1].children)).toEqual(['市南区'])
    expect(roots[0].children[0].children[1].depth).toBe(2)
  })

  it('makes the top of a subtree a root even though it has a parent', () => {
    // A city administrator sees their city and its counties only.
    const roots = buildInstitutionTree(FLAT.slice(1, 4))

    expect(names(roots)).toEqual(['济南市'])
    expect(roots[0].depth).toBe(0)
    expect(names(roots[0].children)).toEqual(['历下区', '市中区'])
    expect(roots[0].children[0].depth).toBe(1)
  })

  it('does not depend on parents coming first', () => {
    const roots = buildInstitutionTree([...FLAT].reverse())

    expect(names(roots)).toEqual(['山东省'])
    expect(names(roots[0].children).sort()).toEqual(['济南市', '青岛市'].sort())
    expect(flattenTree(roots)).toHaveLength(FLAT.length)
  })

  it('does not change the items it was given', () => {
    const copy = structuredClone(FLAT)
    buildInstitutionTree(FLAT)
    expect(FLAT).toEqual(copy)
  })

  it('returns nothing for nothing', () => {
    expect(buildInstitutionTree([])).toEqual([])
  })
})

describe('flattenTree', () => {
  it('lists depth first, parents before children', () => {
    const rows = flattenTree(buildInstitutionTree(FLAT))
    expect(names(rows)).toEqual(['山东省', '济南市', '历下区', '市中区', '青岛市', '市南区'])
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 2, 2, 1, 2])
  })

  it('skips the children of collapsed nodes', () => {
    const rows = flattenTree(buildInstitutionTree(FLAT), new Set([2]))
    expect(names(rows)).toEqual(['山东省', '济南市', '青岛市', '市南区'])
  })
})

describe('levels and labels', () => {
  it('knows which level a child has, and that a county has none', () => {
    expect(childLevel('province')).toBe('city')
    expect(childLevel('city')).toBe('county')
    expect(childLevel('county')).toBeNull()
    expect(childLevel('unknown')).toBeNull()
  })

  it('joins a path of names', () => {
    expect(
      pathLabel([
        { id: 1, name: '山东省', level: 'province' },
        { id: 2, name: '济南市', level: 'city' },
        { id: 3, name: '历下区', level: 'county' },
      ]),
    ).toBe('山东省 / 济南市 / 历下区')
    expect(pathLabel(undefined)).toBe('')
  })
})
