// The task list as the specialist reads it: overdue first, then today, then upcoming, each grouped
// by area (the county institution), earliest due first.
import { deviceTime } from '../sync/index.js'

export const BUCKETS = ['overdue', 'today', 'upcoming']
/** Task statuses a specialist still has to visit (server/tasks/models.py OPEN_STATUSES). */
export const OPEN_STATUSES = new Set(['recontact', 'unassigned', 'assigned', 'returned'])

/** Today on this device, YYYY-MM-DD (the tablets run on China time). */
export function localToday(now = new Date()) {
  return deviceTime(now).slice(0, 10)
}

/**
 * A date of the pull payload as YYYY-MM-DD. The pull answers with Flask's default JSON, which writes
 * a date as an HTTP date ("Mon, 23 Nov 2026 00:00:00 GMT"), not ISO; both are read here.
 */
export function isoDate(value) {
  if (typeof value !== 'string' || !value) return null
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10)
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : null
}

/** The pulled task with its dates as YYYY-MM-DD. */
export function normaliseTask(task) {
  if (!task) return task
  const policy = task.policy ?? {}
  return {
    ...task,
    due_date: isoDate(task.due_date),
    event_date: isoDate(task.event_date),
    policy: {
      ...policy,
      grace_end: isoDate(policy.grace_end),
      cooling_off_end: isoDate(policy.cooling_off_end),
    },
  }
}

export function bucketOf(task, today) {
  if (!task.due_date) return 'upcoming'
  if (task.due_date < today) return 'overdue'
  if (task.due_date === today) return 'today'
  return 'upcoming'
}

export function areaOf(task) {
  return task.institution?.name || ''
}

/**
 * The local visit that still counts for a task: a visit made before head office returned the task
 * (R14) no longer does, so the specialist can visit again.
 * @param {object} task  normalised task data, with `review` ({decision, at}) when returned
 * @param {Array} visits  the outbox rows ({taskId, createdAt})
 * @returns {object|null}
 */
export function countingVisit(task, visits) {
  const mine = (visits ?? []).filter((v) => v.taskId === task?.id)
  if (task?.status === 'returned') {
    const returnedAt = Date.parse(task.review?.at ?? '')
    const after = Number.isNaN(returnedAt) ? [] : mine.filter((v) => v.createdAt > returnedAt)
    return after.at(-1) ?? null
  }
  return mine.at(-1) ?? null
}

/** Ids of the tasks whose visit is already made on this tablet (and still counts). */
export function doneLocallyIds(tasks, visits) {
  return new Set((tasks ?? []).filter((t) => countingVisit(t, visits)).map((t) => t.id))
}

/**
 * @param {Array} tasks  the pulled task data (db.tasks rows' .data)
 * @param {string} today  YYYY-MM-DD
 * @param {Set<number>} doneLocally  tasks whose visit is already in the outbox
 * @returns {{overdue: Group[], today: Group[], upcoming: Group[], done: Task[], counts}}
 *   Group = {area, tasks}
 */
export function groupTasks(tasks, today, doneLocally = new Set()) {
  const out = { overdue: [], today: [], upcoming: [], done: [], counts: {} }
  const open = []
  for (const task of tasks) {
    if (doneLocally.has(task.id) || !OPEN_STATUSES.has(task.status)) out.done.push(task)
    else open.push(task)
  }
  open.sort((a, b) => (a.due_date ?? '').localeCompare(b.due_date ?? '') || a.id - b.id)
  for (const bucket of BUCKETS) {
    const areas = new Map()
    for (const task of open.filter((t) => bucketOf(t, today) === bucket)) {
      const area = areaOf(task)
      if (!areas.has(area)) areas.set(area, [])
      areas.get(area).push(task)
    }
    out[bucket] = [...areas.entries()]
      .sort(([a], [b]) => a.localeCompare(b, 'zh-CN'))
      .map(([area, list]) => ({ area, tasks: list }))
    out.counts[bucket] = out[bucket].reduce((n, g) => n + g.tasks.length, 0)
  }
  out.counts.done = out.done.length
  return out
}

/** Whole days from today to a due date (negative when overdue). */
export function daysUntil(due, today) {
  if (!due) return null
  return Math.round((Date.parse(`${due}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86400000)
}

/** Map links for an address, opened by an app on the tablet: nothing is fetched by us. */
export function mapLinks(address) {
  if (!address) return null
  const q = encodeURIComponent(address)
  return {
    geo: `geo:0,0?q=${q}`,
    amap: `https://uri.amap.com/search?keyword=${q}&src=huifang`,
    baidu: `baidumap://map/geocoder?address=${q}&src=huifang`,
  }
}

/** The questionnaire version a new visit of this task uses: the newest published one of the
 * task's questionnaire held on the device, else the one the task names. */
export function versionFor(task, versions) {
  const published = versions
    .map((row) => row.data)
    .filter((v) => v && v.code === task.questionnaire_code && v.status === 'published')
    .sort((a, b) => b.number - a.number)
  if (published.length) return published[0]
  return versions.find((row) => row.id === task.questionnaire_version_id)?.data ?? null
}
