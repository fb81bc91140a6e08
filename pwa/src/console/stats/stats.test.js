import { describe, expect, it } from 'vitest'
import {
  DIMENSIONS,
  addMonths,
  ageChartOption,
  defaultPeriod,
  drillTarget,
  formatFigure,
  groupLabel,
  groupsChartOption,
  monthOf,
  overviewQuery,
  pieOption,
  problemsChartOption,
  trendChartOption,
} from './stats.js'

const t = (key, values) => (values ? `${key}:${JSON.stringify(values)}` : key)

describe('the period', () => {
  it('counts months across years both ways', () => {
    expect(addMonths('2026-11', 2)).toBe('2027-01')
    expect(addMonths('2026-01', -1)).toBe('2025-12')
    expect(addMonths('2026-03', -11)).toBe('2025-04')
    expect(addMonths('nonsense', 1)).toBe('nonsense')
  })

  it('takes the month in Beijing time', () => {
    // 16:30 UTC on 31 January is already 1 February in Beijing.
    expect(monthOf(new Date('2026-01-31T16:30:00Z'))).toBe('2026-02')
    expect(defaultPeriod(new Date('2026-11-25T04:00:00Z'))).toEqual({
      month_from: '2025-12',
      month_to: '2026-11',
    })
  })

  it('asks for the months in order and leaves out what is not set', () => {
    expect(overviewQuery({ monthFrom: '2026-10', monthTo: '2026-01', by: 'month' })).toEqual({
      month_from: '2026-01',
      month_to: '2026-10',
      by: 'month',
    })
    expect(overviewQuery({ institutionId: 4, monthFrom: '', monthTo: '', by: '' })).toEqual({
      institution_id: 4,
    })
  })
})

describe('figures and groups', () => {
  it('shows rates as percentages and nothing as a dash', () => {
    expect(formatFigure(0.755, 'rate', 'en')).toBe('75.5%')
    expect(formatFigure(null, 'rate')).toBe('—')
    expect(formatFigure(12345, 'count', 'en')).toBe('12,345')
    expect(formatFigure(9.876, 'days', 'en')).toBe('9.9')
  })

  it('names groups by their dimension', () => {
    const options = {
      labelOf: (by, code) => `${by}/${code}`,
      none: '(none)',
      ownLevel: (name) => `${name} (own)`,
    }
    expect(groupLabel({ key: '3', label: '济南市' }, 'institution', options)).toBe('济南市')
    expect(groupLabel({ key: '1', label: '山东省', own_level: true }, 'institution', options)).toBe(
      '山东省 (own)',
    )
    expect(groupLabel({ key: 'bank', label: 'bank' }, 'channel', options)).toBe('channel/bank')
    expect(groupLabel({ key: '', label: null }, 'specialist', options)).toBe('(none)')
    expect(groupLabel({ key: '2026-01', label: '2026-01' }, 'month', options)).toBe('2026-01')
  })

  it('drills only into institutions that have some below them', () => {
    expect(drillTarget({ institution_id: 3, drillable: true }, 'institution')).toBe(3)
    expect(drillTarget({ institution_id: 3, drillable: false }, 'institution')).toBeNull()
    expect(
      drillTarget({ institution_id: 1, drillable: true, own_level: true }, 'institution'),
    ).toBeNull()
    expect(drillTarget({ institution_id: 3, drillable: true }, 'item')).toBeNull()
    expect(DIMENSIONS).toContain('product_type')
  })
})

describe('chart options', () => {
  const groups = [
    {
      key: '3',
      tasks: 10,
      tasks_completed: 8,
      tasks_overdue_open: 1,
      completion_rate: 0.8,
      confirm_rate: 0.5,
    },
    {
      key: '4',
      tasks: 4,
      tasks_completed: 1,
      tasks_overdue_open: 0,
      completion_rate: 0.25,
      confirm_rate: null,
    },
  ]

  it('puts counts on the left axis and rates on the right', () => {
    const option = groupsChartOption(groups, ['济南市', '青岛市'], t)
    expect(option.xAxis.data).toEqual(['济南市', '青岛市'])
    expect(option.series.map((s) => [s.type, s.yAxisIndex ?? 0])).toEqual([
      ['bar', 0],
      ['bar', 0],
      ['bar', 0],
      ['line', 1],
      ['line', 1],
    ])
    expect(option.series[0].data).toEqual([10, 4])
    expect(option.series[4].data).toEqual([0.5, null])
    expect(option.yAxis[1].axisLabel.formatter(0.75)).toBe('75%')
  })

  it('draws the months in order', () => {
    const option = trendChartOption(
      [
        {
          key: '2026-10',
          tasks: 1,
          tasks_completed: 1,
          visits: 1,
          callbacks_confirmed: 0,
          cases_opened: 0,
          on_time_rate: 1,
        },
        {
          key: '2026-11',
          tasks: 2,
          tasks_completed: 0,
          visits: 0,
          callbacks_confirmed: 0,
          cases_opened: 1,
          on_time_rate: null,
        },
      ],
      t,
    )
    expect(option.xAxis.data).toEqual(['2026-10', '2026-11'])
    expect(option.series.find((s) => s.name === 'stats.figures.tasks').data).toEqual([1, 2])
  })

  it('stacks the largest problem categories and gathers the rest', () => {
    const trend = {
      period: { months: ['2026-10', '2026-11'] },
      categories: [
        { code: 'a', name: '甲', name_en: 'A', counts: [3, 1] },
        { code: 'b', name: '乙', name_en: 'B', counts: [0, 2] },
        { code: 'c', name: '丙', name_en: 'C', counts: [1, 1] },
      ],
    }
    const option = problemsChartOption(trend, 'en', 2)
    expect(option.series.map((s) => s.name)).toEqual(['A', 'B', 'Others'])
    expect(option.series[2].data).toEqual([1, 1])
    expect(option.series.every((s) => s.stack === 'problems')).toBe(true)
    expect(problemsChartOption(trend, 'zh-CN').series.map((s) => s.name)).toEqual([
      '甲',
      '乙',
      '丙',
    ])
  })

  it('leaves empty slices out of a pie, the largest first', () => {
    const option = pieOption({ closed: 2, assigned: 0, submitted: 5 }, (code) => code.toUpperCase())
    expect(option.series[0].data).toEqual([
      { name: 'SUBMITTED', value: 5 },
      { name: 'CLOSED', value: 2 },
    ])
    expect(pieOption(undefined, (c) => c).series[0].data).toEqual([])
  })

  it('names the age buckets in days', () => {
    const option = ageChartOption([{ bucket: '0-7', count: 3 }], t)
    expect(option.xAxis.data).toEqual(['stats.ageBucket:{"days":"0-7"}'])
    expect(option.series[0].data).toEqual([3])
  })
})
