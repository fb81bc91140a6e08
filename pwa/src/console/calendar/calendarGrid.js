// The working-day calendar as people read it: month grids (Monday first, as Chinese calendars
// are printed) marking holidays (休) and make-up working days (班), and the rows of the form in
// which an administrator types in a year's official schedule. Dates are ISO strings (YYYY-MM-DD)
// and all arithmetic is in UTC, so the browser's time zone never shifts a day.

const DAY_MS = 86400000
/** The API lists at most this many dates for one year (PUT /calendar/{year}). */
export const MAX_DAYS = 120
const MAX_RANGE = 31
const MAX_NAME = 50

/** The English names the chinesecalendar package gives, to the codes of our locale files. */
const PACKAGE_HOLIDAYS = {
  "New Year's Day": 'new_years_day',
  'Spring Festival': 'spring_festival',
  'Tomb-sweeping Day': 'tomb_sweeping_day',
  'Labour Day': 'labour_day',
  'Dragon Boat Festival': 'dragon_boat_festival',
  'National Day': 'national_day',
  'Mid-autumn Festival': 'mid_autumn_festival',
  'Anti-Fascist 70th Day': 'anti_fascist_70th_day',
}

/** The locale code of a package holiday name, or null for a name typed by an administrator. */
export function holidayCode(name) {
  return PACKAGE_HOLIDAYS[name] ?? null
}

export function parseIso(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '')
  if (!m) return null
  const time = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return toIso(time) === iso ? time : null // 2027-02-30 is not a date
}

export function toIso(time) {
  const d = new Date(time)
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

export function addDays(iso, n) {
  return toIso(parseIso(iso) + n * DAY_MS)
}

/** 0 = Monday … 6 = Sunday. */
export function weekday(iso) {
  return (new Date(parseIso(iso)).getUTCDay() + 6) % 7
}

/** Today's year in Beijing, whatever the browser's zone. */
export function currentYear(now = new Date()) {
  return Number(
    new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(now),
  )
}

/** Today's month (1–12) in Beijing. */
export function currentMonth(now = new Date()) {
  return Number(
    new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', month: 'numeric' }).format(now),
  )
}

/**
 * From October on, next year's due dates start to matter (R8 counts 15 working days back from
 * grace periods ending in January): the year to warn about when the calendar does not know it yet,
 * or null when there is nothing to check.
 */
export function yearToCheck(now = new Date()) {
  return currentMonth(now) >= 10 ? currentYear(now) + 1 : null
}

/** What a listed day means: 'holiday' (休) when not worked, 'workday' (班) when worked. */
export function dayKind(entry) {
  if (!entry) return null
  return entry.is_workday ? 'workday' : 'holiday'
}

/**
 * One month as weeks of seven cells (null outside the month). `days` are the API's listed days
 * ({date, is_workday, name, origin}); each cell says whether it is a weekend, and what the
 * calendar states about it.
 */
export function monthGrid(year, month, days = []) {
  const byDate = new Map(days.map((entry) => [entry.date, entry]))
  const first = Date.UTC(year, month - 1, 1)
  const count = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const lead = weekday(toIso(first))
  const cells = Array.from({ length: lead }, () => null)
  for (let d = 1; d <= count; d++) {
    const date = toIso(first + (d - 1) * DAY_MS)
    const entry = byDate.get(date)
    const wd = weekday(date)
    cells.push({
      date,
      day: d,
      weekday: wd,
      weekend: wd >= 5,
      kind: dayKind(entry),
      name: entry?.name ?? null,
      origin: entry?.origin ?? null,
    })
  }
  while (cells.length % 7) cells.push(null)
  const weeks = []
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
  return { year, month, weeks }
}

/**
 * The year's statements grouped for reading: holidays as runs under one name, make-up working
 * days one by one. The API lists only the days that differ from Monday–Friday, so a holiday's
 * weekend days are missing from it (the Spring Festival of 2026 is listed as 16–20 and 23
 * February); with `spanWeekends` a run also takes in the plain weekend days inside and around it
 * (15–23 February, 9 days, as the State Council's notice says).
 */
export function yearSummary(days = [], { spanWeekends = true } = {}) {
  const sorted = [...days].sort((a, b) => a.date.localeCompare(b.date))
  const listed = new Set(sorted.map((entry) => entry.date))
  const year = sorted.length ? sorted[0].date.slice(0, 4) : null
  // A weekend day the API does not mention: off, and part of a holiday next to it.
  const plainWeekend = (iso) =>
    spanWeekends && iso.slice(0, 4) === year && weekday(iso) >= 5 && !listed.has(iso)
  const onlyPlainWeekendsBetween = (from, to) => {
    for (let d = addDays(from, 1); d < to; d = addDays(d, 1)) if (!plainWeekend(d)) return false
    return true
  }
  const holidays = []
  const workdays = []
  for (const entry of sorted) {
    if (entry.is_workday) {
      workdays.push({ date: entry.date, name: entry.name ?? null, origin: entry.origin ?? null })
      continue
    }
    const last = holidays[holidays.length - 1]
    if (
      last &&
      last.name === (entry.name ?? null) &&
      onlyPlainWeekendsBetween(last.to, entry.date)
    ) {
      last.to = entry.date
    } else {
      holidays.push({
        name: entry.name ?? null,
        from: entry.date,
        to: entry.date,
        origin: entry.origin ?? null,
      })
    }
  }
  for (const run of holidays) {
    while (plainWeekend(addDays(run.from, -1))) run.from = addDays(run.from, -1)
    while (plainWeekend(addDays(run.to, 1))) run.to = addDays(run.to, 1)
    run.count = (parseIso(run.to) - parseIso(run.from)) / DAY_MS + 1
  }
  return { holidays, workdays }
}

/** A blank row of the year entry form. */
export function blankRow(kind = 'holiday') {
  return { kind, from: '', to: '', name: '' }
}

/** The rows of the entry form that say what `days` say (to correct a year entered before). */
export function daysToRows(days = []) {
  const { holidays, workdays } = yearSummary(days, { spanWeekends: false })
  return [
    ...holidays.map((h) => ({
      kind: 'holiday',
      from: h.from,
      to: h.to === h.from ? '' : h.to,
      name: h.name ?? '',
    })),
    ...workdays.map((w) => ({ kind: 'workday', from: w.date, to: '', name: w.name ?? '' })),
  ]
}

/**
 * The entry form's rows as the `days` of PUT /calendar/{year}: a holiday row covers from…to (one
 * day when `to` is empty); a make-up working day row is one date. Problems are reported per row
 * ({row, code}) and for the whole ({row: null, code}); nothing is sent while there are any.
 */
export function rowsToDays(rows, year) {
  const errors = []
  const seen = new Map() // date → row index
  const days = []
  rows.forEach((row, i) => {
    const name = (row.name ?? '').trim()
    if (!row.from) {
      errors.push({ row: i, code: 'date_missing' })
      return
    }
    const from = parseIso(row.from)
    const to = row.kind === 'holiday' && row.to ? parseIso(row.to) : from
    if (from === null || to === null) {
      errors.push({ row: i, code: 'date_invalid' })
      return
    }
    if (to < from) {
      errors.push({ row: i, code: 'range_backwards' })
      return
    }
    if ((to - from) / DAY_MS + 1 > MAX_RANGE) {
      errors.push({ row: i, code: 'range_too_long' })
      return
    }
    if (name.length > MAX_NAME) {
      errors.push({ row: i, code: 'name_too_long' })
      return
    }
    for (let t = from; t <= to; t += DAY_MS) {
      const date = toIso(t)
      if (Number(date.slice(0, 4)) !== year) {
        errors.push({ row: i, code: 'outside_year' })
        return
      }
      if (seen.has(date)) {
        errors.push({ row: i, code: 'duplicate', date })
        return
      }
      seen.set(date, i)
      days.push({ date, is_workday: row.kind === 'workday', name: name || null })
    }
  })
  if (!rows.length) errors.push({ row: null, code: 'no_rows' })
  if (days.length > MAX_DAYS) errors.push({ row: null, code: 'too_many' })
  days.sort((a, b) => a.date.localeCompare(b.date))
  return { days, errors }
}
