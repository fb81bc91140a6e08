import { describe, expect, it } from 'vitest'
import {
  countingVisit,
  daysUntil,
  doneLocallyIds,
  groupTasks,
  isoDate,
  mapLinks,
  versionFor,
} from './tasks.js'

const task = (id, due, area, status = 'assigned') => ({
  id,
  due_date: due,
  status,
  institution: { name: area },
})

describe('task list', () => {
  it('puts tasks under overdue, today and upcoming, by area, earliest first', () => {
    const tasks = [
      task(1, '2026-11-30', '历下区'),
      task(2, '2026-11-20', '市中区'),
      task(3, '2026-11-25', '历下区'),
      task(4, '2026-11-26', '历下区'),
      task(5, '2026-11-27', '市中区'),
      task(6, '2026-11-01', '历下区', 'submitted'),
      task(7, '2026-11-01', '历下区'),
    ]
    const g = groupTasks(tasks, '2026-11-25', new Set([7]))
    expect(g.counts).toEqual({ overdue: 1, today: 1, upcoming: 3, done: 2 })
    expect(g.overdue).toEqual([{ area: '市中区', tasks: [tasks[1]] }])
    expect(g.upcoming.map((x) => [x.area, x.tasks.map((t) => t.id)])).toEqual([
      ['历下区', [4, 1]],
      ['市中区', [5]],
    ])
    expect(g.done.map((t) => t.id)).toEqual([6, 7])
  })
  it('counts days to the due date', () => {
    expect(daysUntil('2026-11-20', '2026-11-25')).toBe(-5)
    expect(daysUntil('2026-12-01', '2026-11-25')).toBe(6)
  })
  it('links an address to map apps without fetching anything', () => {
    const links = mapLinks('济南市历下区泉城路1号')
    expect(links.geo).toBe(`geo:0,0?q=${encodeURIComponent('济南市历下区泉城路1号')}`)
    expect(links.amap).toMatch(/^https:\/\/uri\.amap\.com\/search\?keyword=/)
    expect(mapLinks('')).toBeNull()
  })
  it('uses the newest published version of the task questionnaire', () => {
    const versions = [
      { id: 1, data: { id: 1, code: 'new_business', number: 1, status: 'published' } },
      { id: 4, data: { id: 4, code: 'new_business', number: 2, status: 'published' } },
      { id: 5, data: { id: 5, code: 'grace_period', number: 3, status: 'published' } },
    ]
    const t = { questionnaire_code: 'new_business', questionnaire_version_id: 1 }
    expect(versionFor(t, versions).id).toBe(4)
    expect(versionFor({ questionnaire_code: 'x', questionnaire_version_id: 5 }, versions).id).toBe(
      5,
    )
  })
})

describe('dates of the pull', () => {
  it('reads ISO and HTTP dates', () => {
    expect(isoDate('2026-11-23')).toBe('2026-11-23')
    expect(isoDate('Mon, 23 Nov 2026 00:00:00 GMT')).toBe('2026-11-23')
    expect(isoDate(null)).toBeNull()
  })
})

describe('a task returned by head office', () => {
  const returned = {
    id: 9,
    status: 'returned',
    review: { decision: 'return', at: '2026-11-25T06:00:00+00:00' },
  }
  const before = { uuid: 'a', taskId: 9, createdAt: Date.parse('2026-11-25T05:00:00Z') }
  const after = { uuid: 'b', taskId: 9, createdAt: Date.parse('2026-11-25T07:00:00Z') }

  it('no longer counts the visit made before the return', () => {
    expect(countingVisit(returned, [before])).toBeNull()
    expect(doneLocallyIds([returned], [before]).has(9)).toBe(false)
  })

  it('counts the visit made after it', () => {
    expect(countingVisit(returned, [before, after])).toBe(after)
    expect(doneLocallyIds([returned], [before, after]).has(9)).toBe(true)
  })

  it('counts any visit of a task that was not returned', () => {
    expect(countingVisit({ id: 9, status: 'assigned' }, [before])).toBe(before)
    expect(countingVisit({ id: 8, status: 'assigned' }, [before])).toBeNull()
  })
})
