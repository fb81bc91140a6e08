// Plain logic of the statistics dashboard (回访统计, R4): the period, the query of GET
// /stats/overview, the figures shown as cards, and the ECharts options built from the server's
// answers. No Vue and no ECharts in here: options are plain objects, so they are tested as data.

/** server/stats/services.py DIMENSIONS. */
export const DIMENSIONS = [
  'institution',
  'specialist',
  'item',
  'source',
  'product_type',
  'channel',
  'month',
]
/** The cards at the top: [figure, kind] where kind says how to show it. */
export const KPIS = [
  ['tasks', 'count'],
  ['completion_rate', 'rate'],
  ['on_time_rate', 'rate'],
  ['tasks_overdue_open', 'count'],
  ['visits', 'count'],
  ['confirm_rate', 'rate'],
  ['reach_rate', 'rate'],
  ['cases_open', 'count'],
  ['avg_days_to_close', 'days'],
]
/** The columns of the table under the chart. */
export const COLUMNS = [
  ['tasks', 'count'],
  ['tasks_completed', 'count'],
  ['completion_rate', 'rate'],
  ['on_time_rate', 'rate'],
  ['tasks_overdue_open', 'count'],
  ['visits', 'count'],
  ['visits_approved', 'count'],
  ['callbacks_done', 'count'],
  ['confirm_rate', 'rate'],
  ['first_calls', 'count'],
  ['reach_rate', 'rate'],
  ['cases_opened', 'count'],
  ['cases_open', 'count'],
  ['avg_days_to_close', 'days'],
]
const MONTH = /^(\d{4})-(\d{2})$/
const COLOURS = ['#1989fa', '#07c160', '#ff976a', '#ee0a24', '#7232dd', '#00b8d4', '#ffb300']

/** 'YYYY-MM' of a moment in Beijing time. */
export function monthOf(moment = new Date()) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(moment)
  const get = (type) => parts.find((p) => p.type === type).value
  return `${get('year')}-${get('month')}`
}

/** The month `n` months after `month` (n may be negative). */
export function addMonths(month, n) {
  const m = MONTH.exec(month)
  if (!m) return month
  const index = Number(m[1]) * 12 + Number(m[2]) - 1 + n
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`
}

/** The twelve months up to this one, as the server's default. */
export function defaultPeriod(now = new Date()) {
  const to = monthOf(now)
  return { month_from: addMonths(to, -11), month_to: to }
}

export function overviewQuery({ institutionId, monthFrom, monthTo, by }) {
  const query = {}
  if (institutionId) query.institution_id = institutionId
  let [from, to] = [monthFrom || '', monthTo || '']
  if (from && to && from > to) [from, to] = [to, from]
  if (from) query.month_from = from
  if (to) query.month_to = to
  if (by) query.by = by
  return query
}

/** A figure as people read it: rates as percentages, days with one decimal, '—' for none. */
export function formatFigure(value, kind, locale = 'zh-CN') {
  if (value === null || value === undefined) return '—'
  if (kind === 'rate') {
    return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(
      value,
    )
  }
  if (kind === 'days') {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)
  }
  return new Intl.NumberFormat(locale).format(value)
}

/**
 * The name of a group: an institution's or a person's name, a code in words, a month; a group of
 * records without the dimension (no specialist, no task) is `none`.
 */
export function groupLabel(group, by, { labelOf, none, ownLevel }) {
  if (by === 'institution' && group.own_level) return ownLevel(group.label)
  if (group.key === '' || group.label === null || group.label === undefined) return none
  if (by === 'institution' || by === 'specialist' || by === 'month') return group.label
  return labelOf(by, group.key)
}

/** The institution a click on a group drills into, or null. */
export function drillTarget(group, by) {
  return by === 'institution' && group?.drillable && !group.own_level ? group.institution_id : null
}

/** Bars of tasks and completed tasks per group, and the completion rate as a line. */
export function groupsChartOption(groups, names, t) {
  return {
    color: COLOURS,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 64, containLabel: false },
    xAxis: {
      type: 'category',
      data: names,
      axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 },
    },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    ],
    series: [
      { name: t('stats.figures.tasks'), type: 'bar', data: groups.map((g) => g.tasks) },
      {
        name: t('stats.figures.tasks_completed'),
        type: 'bar',
        data: groups.map((g) => g.tasks_completed),
      },
      {
        name: t('stats.figures.tasks_overdue_open'),
        type: 'bar',
        data: groups.map((g) => g.tasks_overdue_open),
      },
      {
        name: t('stats.figures.completion_rate'),
        type: 'line',
        yAxisIndex: 1,
        data: groups.map((g) => g.completion_rate),
      },
      {
        name: t('stats.figures.confirm_rate'),
        type: 'line',
        yAxisIndex: 1,
        data: groups.map((g) => g.confirm_rate),
      },
    ],
  }
}

/** Month by month: tasks, visits, confirmed callbacks and cases; the on-time rate as a line. */
export function trendChartOption(groups, t) {
  const months = groups.map((g) => g.key)
  const line = (key, extra = {}) => ({
    name: t(`stats.figures.${key}`),
    type: 'line',
    smooth: true,
    data: groups.map((g) => g[key]),
    ...extra,
  })
  return {
    color: COLOURS,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: months },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    ],
    series: [
      line('tasks'),
      line('tasks_completed'),
      line('visits'),
      line('callbacks_confirmed'),
      line('cases_opened'),
      line('on_time_rate', { yAxisIndex: 1, lineStyle: { type: 'dashed' } }),
    ],
  }
}

/** Problem cases per category, stacked month by month (the largest categories first). */
export function problemsChartOption(trend, locale, max = 8) {
  const english = locale === 'en'
  const shown = trend.categories.slice(0, max)
  const rest = trend.categories.slice(max)
  const series = shown.map((c) => ({
    name: english ? c.name_en : c.name,
    type: 'bar',
    stack: 'problems',
    data: c.counts,
  }))
  if (rest.length) {
    series.push({
      name: english ? 'Others' : '其他分类',
      type: 'bar',
      stack: 'problems',
      data: trend.period.months.map((_, i) => rest.reduce((sum, c) => sum + c.counts[i], 0)),
    })
  }
  return {
    color: COLOURS,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 48, right: 24, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: trend.period.months },
    yAxis: { type: 'value', minInterval: 1 },
    series,
  }
}

/** A pie of one breakdown ({code: count}), its slices named by `labelOf(code)`. */
export function pieOption(counts, labelOf) {
  const data = Object.entries(counts ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => ({ name: labelOf(code), value: n }))
  return {
    color: COLOURS,
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0, type: 'scroll' },
    series: [{ type: 'pie', radius: ['35%', '65%'], top: -24, data }],
  }
}

/** Open tasks by age, as bars. */
export function ageChartOption(buckets, t) {
  return {
    color: ['#ff976a'],
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 16, bottom: 32 },
    xAxis: { type: 'category', data: buckets.map((b) => t('stats.ageBucket', { days: b.bucket })) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', data: buckets.map((b) => b.count) }],
  }
}
