// 问题分类: the taxonomy questionnaire answers point to when they signal a problem (R4, R16).
// Categories are deactivated, never deleted: published versions and problem cases keep their codes.

/** The list asks for inactive categories too (the API leaves them out by default). */
export const LIST_QUERY = Object.freeze({ include_inactive: true })

/** The same rule as the server's (server/questionnaires/schemas.py CODE). */
export const CODE_PATTERN = /^[a-z][a-z0-9_]{1,63}$/

/** The fields the form edits, filled from a category (or empty to create one). */
export function formFrom(category) {
  return {
    code: category?.code ?? '',
    name: category?.name ?? '',
    name_en: category?.name_en ?? '',
    description: category?.description ?? '',
    reportable: category?.reportable ?? false,
  }
}

const text = (value) => String(value ?? '').trim()
const optional = (value) => text(value) || null

/** POST /problem-categories: every field, trimmed; an empty description is left out. */
export function createBody(form) {
  const body = {
    code: text(form.code),
    name: text(form.name),
    name_en: text(form.name_en),
    reportable: Boolean(form.reportable),
  }
  const description = optional(form.description)
  if (description) body.description = description
  return body
}

/** PATCH /problem-categories/{id}: only what changed (the code never changes). */
export function updateBody(category, form) {
  const body = {}
  for (const key of ['name', 'name_en']) {
    if (text(form[key]) !== category[key]) body[key] = text(form[key])
  }
  const description = optional(form.description)
  if (description !== (category.description ?? null)) body.description = description
  if (Boolean(form.reportable) !== Boolean(category.reportable)) {
    body.reportable = Boolean(form.reportable)
  }
  return body
}

/**
 * The fields of a 422 that failed. The API sends {details: {fields: {name: [messages]}}}; an
 * error without `fields` is read as {details: {name: [messages]}}.
 */
export function failedFields(err) {
  if (err?.code !== 'validation_error') return {}
  const details = err.details ?? {}
  const fields = details.fields && typeof details.fields === 'object' ? details.fields : details
  const out = {}
  for (const [field, messages] of Object.entries(fields)) {
    const list = Array.isArray(messages) ? messages : [messages]
    out[field] = list.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)))
  }
  return out
}

/** The list in the server's order: sort_order, then id. */
export function sortCategories(items) {
  return [...items].sort((a, b) => (a.sort_order ?? 0) - (b.sort_order ?? 0) || a.id - b.id)
}

/** Put a saved category in the list (replacing the one with its id) and keep the order. */
export function upsert(items, saved) {
  return sortCategories([...items.filter((c) => c.id !== saved.id), saved])
}

/** Counts for the page head. */
export function summary(items) {
  const active = items.filter((c) => c.active).length
  return { total: items.length, active, inactive: items.length - active }
}
