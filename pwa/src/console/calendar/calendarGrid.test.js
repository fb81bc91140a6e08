import { describe, expect, it } from 'vitest'
import {
  currentYear,
  yearToCheck,
  daysToRows,
  holidayCode,
  monthGrid,
  rowsToDays,
  weekday,
  yearSummary,
} from './calendarGrid.js'

// February 2026 as the API gives it: the Spring Festival off from the 15th to the 23rd, the
// Saturdays 14th and 28th worked (chinesecalendar names them in English).
const FEB_2026 = [
  { date: '2026-02-14', is_workday: true, name: 'Spring Festival', origin: 'package' },
  ...[16, 17, 18, 19, 20, 23].map((d) => ({
    date: `2026-02-${d}`,
    is_workday: false,
    name: 'Spring Festival',
    origin: 'package',
  })),
  { date: '2026-02-28', is_workday: true, name: 'Spring Festival', origin: 'package' },
]

describe('monthGrid', () => {
  it('lays a month out in weeks starting on Monday', () => {
    const { weeks } = monthGrid(2026, 2, FEB_2026)
    expect(weeks).toHaveLength(5)
    expect(weeks.every((w) => w.length === 7)).toBe(true)
    // 1 February 2026 is a Sunday: six blanks, then the 1st in the last column.
    expect(weeks[0].slice(0, 6)).toEqual([null, null, null, null, null, null])
    expect(weeks[0][6]).toMatchObject({ date: '2026-02-01', day: 1, weekend: true, kind: null })
    expect(weeks[4].filter(Boolean).map((c) => c.day)).toEqual([23, 24, 25, 26, 27, 28])
  })

  it('marks holidays (休) and make-up working days (班) with their name and origin', () => {
    const cells = monthGrid(2026, 2, FEB_2026).weeks.flat().filter(Boolean)
    const at = (d) => cells[d - 1]
    expect(at(14)).toMatchObject({ kind: 'workday', weekend: true, name: 'Spring Festival' })
    expect(at(16)).toMatchObject({ kind: 'holiday', weekend: false, origin: 'package' })
    expect(at(15)).toMatchObject({ kind: null, weekend: true }) // a Sunday, off anyway
    expect(at(24)).toMatchObject({ kind: null, weekend: false })
  })

  it('knows leap years and months of every length', () => {
    const days = (y, m) => monthGrid(y, m).weeks.flat().filter(Boolean).length
    expect(days(2028, 2)).toBe(29)
    expect(days(2027, 2)).toBe(28)
    expect(days(2027, 4)).toBe(30)
    expect(days(2027, 12)).toBe(31)
    // 1 January 2027 is a Friday.
    expect(monthGrid(2027, 1).weeks[0].findIndex(Boolean)).toBe(4)
    expect(weekday('2027-01-01')).toBe(4)
  })
})

describe('yearSummary', () => {
  it('groups consecutive holiday days under one name and lists make-up days one by one', () => {
    const days = [
      ...FEB_2026,
      { date: '2026-02-15', is_workday: false, name: 'Spring Festival', origin: 'package' },
      { date: '2026-02-21', is_workday: false, name: 'Spring Festival', origin: 'package' },
      { date: '2026-02-22', is_workday: false, name: 'Spring Festival', origin: 'package' },
      { date: '2026-01-01', is_workday: false, name: "New Year's Day", origin: 'package' },
    ]
    const { holidays, workdays } = yearSummary(days)
    expect(holidays).toEqual([
      { name: "New Year's Day", from: '2026-01-01', to: '2026-01-01', count: 1, origin: 'package' },
      {
        name: 'Spring Festival',
        from: '2026-02-15',
        to: '2026-02-23',
        count: 9,
        origin: 'package',
      },
    ])
    expect(workdays.map((w) => w.date)).toEqual(['2026-02-14', '2026-02-28'])
  })

  it('takes in the weekend days the API leaves out, as the official notice counts them', () => {
    const days = [
      { date: '2026-01-01', is_workday: false, name: "New Year's Day", origin: 'package' },
      { date: '2026-01-02', is_workday: false, name: "New Year's Day", origin: 'package' },
      { date: '2026-01-04', is_workday: true, name: "New Year's Day", origin: 'package' },
      ...FEB_2026,
    ]
    const { holidays } = yearSummary(days)
    // 元旦 1–3 January (the Saturday too, not the worked Sunday); 春节 15–23 February.
    expect(holidays.map(({ from, to, count }) => [from, to, count])).toEqual([
      ['2026-01-01', '2026-01-03', 3],
      ['2026-02-15', '2026-02-23', 9],
    ])
    expect(yearSummary(days, { spanWeekends: false }).holidays).toHaveLength(3)
  })

  it('translates the package names to codes of the locale files, and leaves typed names alone', () => {
    expect(holidayCode('Spring Festival')).toBe('spring_festival')
    expect(holidayCode("New Year's Day")).toBe('new_years_day')
    expect(holidayCode('春节')).toBeNull()
  })
})

describe('the year entry form', () => {
  const rows = [
    { kind: 'holiday', from: '2027-02-06', to: '2027-02-12', name: ' 春节 ' },
    { kind: 'workday', from: '2027-02-14', to: '2027-02-20', name: '春节调休上班' },
    { kind: 'holiday', from: '2027-01-01', to: '', name: '元旦' },
  ]

  it('expands holiday ranges into days and sends make-up days as single dates', () => {
    const { days, errors } = rowsToDays(rows, 2027)
    expect(errors).toEqual([])
    expect(days[0]).toEqual({ date: '2027-01-01', is_workday: false, name: '元旦' })
    expect(days.filter((d) => d.name === '春节').map((d) => d.date)).toEqual([
      '2027-02-06',
      '2027-02-07',
      '2027-02-08',
      '2027-02-09',
      '2027-02-10',
      '2027-02-11',
      '2027-02-12',
    ])
    // A make-up day row is one date: its "to" is ignored.
    expect(days.filter((d) => d.is_workday)).toEqual([
      { date: '2027-02-14', is_workday: true, name: '春节调休上班' },
    ])
    expect(days).toHaveLength(9)
  })

  it('reports each row that cannot be sent', () => {
    const bad = [
      { kind: 'holiday', from: '', to: '', name: '' },
      { kind: 'holiday', from: '2027-05-05', to: '2027-05-01', name: '劳动节' },
      { kind: 'holiday', from: '2026-12-31', to: '2027-01-01', name: '元旦' },
      { kind: 'workday', from: '2027-02-06', to: '', name: '' },
      { kind: 'holiday', from: '2027-02-06', to: '', name: '春节' },
      { kind: 'holiday', from: '2027-07-01', to: '2027-08-15', name: '暑假' },
      { kind: 'holiday', from: '2027-02-30', to: '', name: '' },
    ]
    const { errors } = rowsToDays(bad, 2027)
    expect(errors).toEqual([
      { row: 0, code: 'date_missing' },
      { row: 1, code: 'range_backwards' },
      { row: 2, code: 'outside_year' },
      { row: 4, code: 'duplicate', date: '2027-02-06' },
      { row: 5, code: 'range_too_long' },
      { row: 6, code: 'date_invalid' },
    ])
  })

  it('refuses an empty schedule and one longer than the API takes', () => {
    expect(rowsToDays([], 2027).errors).toEqual([{ row: null, code: 'no_rows' }])
    const many = Array.from({ length: 5 }, (_, i) => ({
      kind: 'holiday',
      from: `2027-0${i + 1}-01`,
      to: `2027-0${i + 1}-28`,
      name: '',
    }))
    expect(rowsToDays(many, 2027).errors).toEqual([{ row: null, code: 'too_many' }])
  })

  it('turns a year entered before back into rows, and the rows into the same days', () => {
    const { days } = rowsToDays(rows, 2027)
    const again = daysToRows(days.map((d) => ({ ...d, origin: 'override' })))
    expect(again).toEqual([
      { kind: 'holiday', from: '2027-01-01', to: '', name: '元旦' },
      { kind: 'holiday', from: '2027-02-06', to: '2027-02-12', name: '春节' },
      { kind: 'workday', from: '2027-02-14', to: '', name: '春节调休上班' },
    ])
    expect(rowsToDays(again, 2027).days).toEqual(days)
  })
})

describe('currentYear', () => {
  it('is the year in Beijing, not in the browser', () => {
    // 31 December 2026 17:00 UTC is already 1 January 2027 in Beijing.
    expect(currentYear(new Date('2026-12-31T17:00:00Z'))).toBe(2027)
    expect(currentYear(new Date('2026-12-31T15:00:00Z'))).toBe(2026)
  })
})

describe('yearToCheck', () => {
  it('asks about next year from October, in Beijing time', () => {
    expect(yearToCheck(new Date('2026-09-30T15:59:00Z'))).toBe(null) // 23:59 on 30 Sep in Beijing
    expect(yearToCheck(new Date('2026-09-30T16:00:00Z'))).toBe(2027) // 00:00 on 1 Oct in Beijing
    expect(yearToCheck(new Date('2026-12-31T15:59:00Z'))).toBe(2027)
    expect(yearToCheck(new Date('2026-12-31T16:00:00Z'))).toBe(null) // already 1 Jan 2027
  })
})
