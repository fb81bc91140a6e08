// Plain logic of the received-visits pages (issue 9, first half of the review): filters → query,
// flags and their weight, times and the clock offset, the place, the media, and each answer of the
// questionnaire in words. No Vue in here; words come from the caller's `t` (vue-i18n).
import { isAnswered, relevantQuestions } from '../../shared/questionnaire/logic.js'
import { fill, formatDate } from '../../shared/questionnaire/placeholders.js'

/** server/visits/models.py STATES and sync/records.py OUTCOMES. */
export const VISIT_STATES = ['awaiting_media', 'submitted']
export const OUTCOMES = ['completed', 'not_at_home', 'refused', 'wrong_address', 'postponed']
export const PAGE_SIZE = 30

/**
 * Flags the server raises on a received visit (server/sync/services.py, questionnaires/sync_hooks.py)
 * and how much each weighs with a reviewer: 'danger' is evidence against the visit, 'warning' asks
 * for a closer look. A flag not listed here is still shown, by its code, as a warning.
 */
export const FLAGS = {
  identity_mismatch: 'danger', // R7: the respondent may not be the policyholder
  task_cancelled: 'danger',
  identity_unverifiable: 'warning',
  task_reassigned: 'warning',
  second_visit_for_task: 'warning',
  // Raised when a completed visit joins the review queue (server/review/flags.py); their names
  // and details live under `review.` in the locales.
  conflict: 'danger',
  shared_phone_alert: 'danger',
  quick_visit: 'danger',
  far_from_address: 'danger',
  outside_working_hours: 'warning',
  late: 'warning',
}

export const flagTone = (code) => FLAGS[code] ?? 'warning'

/** The flag's short name and its one-sentence explanation (an unknown code keeps its code). */
export function flagText(code, { t, te }) {
  // Sync's flags are named under visits., the review's under review.
  const group = ['visits', 'review'].find((g) => te(`${g}.flags.${code}`))
  return {
    code,
    tone: flagTone(code),
    label: group ? t(`${group}.flags.${code}`) : code,
    explain:
      group && te(`${group}.flagExplain.${code}`)
        ? t(`${group}.flagExplain.${code}`)
        : t('visits.flagExplainUnknown', { code }),
  }
}

/** Flags, the heavier first, in a stable order. */
export function sortFlags(flags) {
  const weight = (code) => (flagTone(code) === 'danger' ? 0 : 1)
  return [...(flags ?? [])].sort((a, b) => weight(a) - weight(b) || a.localeCompare(b))
}

export const emptyFilters = () => ({ state: '', outcome: '', flagged: false })

/** The query of GET /visits for these filters (the shared client drops empty values). */
export function visitQuery(filters, { limit = PAGE_SIZE, cursor = null } = {}) {
  return {
    state: VISIT_STATES.includes(filters.state) ? filters.state : '',
    outcome: OUTCOMES.includes(filters.outcome) ? filters.outcome : '',
    flagged: filters.flagged ? 'true' : '',
    limit,
    cursor: cursor ?? '',
  }
}

export const stateTagType = (state) => (state === 'submitted' ? 'success' : 'warning')
export const outcomeTagType = (outcome) => (outcome === 'completed' ? 'primary' : 'default')

// ---- times ---------------------------------------------------------------------------------------

/** Milliseconds from one device time (ISO with offset) to another, or null when unreadable. */
export function durationMs(start, end) {
  const a = Date.parse(start ?? '')
  const b = Date.parse(end ?? '')
  return Number.isFinite(a) && Number.isFinite(b) ? b - a : null
}

/** A length of time in words: 1小时5分 / 40分钟 / 45秒 (zh), 1 h 5 min / 40 min / 45 s (en). */
export function formatSpan(ms, locale = 'zh-CN') {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return ''
  const en = locale === 'en'
  let seconds = Math.round(Math.abs(ms) / 1000)
  const days = Math.floor(seconds / 86400)
  seconds -= days * 86400
  const hours = Math.floor(seconds / 3600)
  seconds -= hours * 3600
  const minutes = Math.floor(seconds / 60)
  seconds -= minutes * 60
  const unit = en
    ? { d: ' d', h: ' h', m: ' min', s: ' s' }
    : { d: '天', h: '小时', m: '分', s: '秒' }
  const parts = []
  if (days) parts.push(`${days}${unit.d}`)
  if (hours) parts.push(`${hours}${unit.h}`)
  if (minutes) parts.push(`${minutes}${unit.m}`)
  // Seconds matter only for short spans.
  if (seconds && !days && !hours) parts.push(`${seconds}${unit.s}`)
  if (!parts.length) return en ? '0 s' : '0秒'
  // 40分 alone reads as "40 points"; a lone minute count says 分钟.
  if (!en && parts.length === 1 && minutes && !seconds) return `${minutes}分钟`
  return parts.join(en ? ' ' : '')
}

/** How the visit's length reads: the span, or why there is none. */
export function durationView(start, end, locale) {
  const ms = durationMs(start, end)
  if (ms === null) return { key: 'visits.durationUnknown', span: '', warn: true }
  if (ms < 0) return { key: 'visits.durationNegative', span: formatSpan(ms, locale), warn: true }
  return { key: 'visits.durationValue', span: formatSpan(ms, locale), warn: false }
}

const CLOCK_OK_MS = 1000 // under a second apart: the device clock is right
const CLOCK_WARN_MS = 5 * 60 * 1000 // five minutes or more: the times need reading with care

/**
 * The clock offset (server minus device, learnt at the device's last sync) in words. Positive: the
 * server was ahead, so the device clock was slow and its times read early.
 */
export function clockOffsetView(ms, locale) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return { key: 'visits.clockUnknown', span: '', warn: false }
  }
  if (Math.abs(ms) < CLOCK_OK_MS) return { key: 'visits.clockExact', span: '', warn: false }
  return {
    key: ms > 0 ? 'visits.clockSlow' : 'visits.clockFast',
    span: formatSpan(ms, locale),
    warn: Math.abs(ms) >= CLOCK_WARN_MS,
  }
}

/** A device time moved onto the server's clock (ISO UTC), or null. */
export function correctedTime(deviceTime, offsetMs) {
  const at = Date.parse(deviceTime ?? '')
  if (!Number.isFinite(at) || !Number.isFinite(offsetMs ?? NaN)) return null
  return new Date(at + offsetMs).toISOString()
}

/** The zone a device time was written in: "+08:00", "Z"… (shown when it is not Beijing's). */
export function timeZoneOf(deviceTime) {
  const match = /(Z|[+-]\d{2}:\d{2})$/.exec(deviceTime ?? '')
  return match ? match[1] : null
}

// ---- place ---------------------------------------------------------------------------------------

/** RFC 5870 geo URI with its uncertainty in metres; opens the device's own map app, no tiles here. */
export function geoUri(place) {
  if (!place || !Number.isFinite(place.lat) || !Number.isFinite(place.lon)) return null
  const accuracy = Number.isFinite(place.accuracy_m) ? `;u=${Math.round(place.accuracy_m)}` : ''
  return `geo:${place.lat},${place.lon}${accuracy}`
}

/** Coordinates as people read them: 36.65123°N, 117.12012°E. */
export function formatCoordinates(place) {
  if (!place) return ''
  const lat = `${Math.abs(place.lat).toFixed(5)}°${place.lat >= 0 ? 'N' : 'S'}`
  const lon = `${Math.abs(place.lon).toFixed(5)}°${place.lon >= 0 ? 'E' : 'W'}`
  return `${lat}, ${lon}`
}

/** Why a record has no place: the tablet's place_status, or that it said nothing. */
export function noPlaceKey(record) {
  const status = record?.place_status
  return ['denied', 'unavailable', 'timeout'].includes(status)
    ? `visits.noPlace.${status}`
    : 'visits.noPlace.none'
}

// ---- media ---------------------------------------------------------------------------------------

const SIGNER_ORDER = ['holder', 'insured', 'specialist']

/**
 * The visit's media by use: one entry per signer (the strokes, the tablet's PNG), the photos, and
 * how many files are whole on the server.
 */
export function groupMedia(media) {
  const signers = new Map()
  const photos = []
  for (const item of media ?? []) {
    if (item.kind === 'photo') photos.push(item)
    else if (item.kind === 'signature_strokes' || item.kind === 'signature_png') {
      const signer = item.signer ?? 'unknown'
      if (!signers.has(signer)) signers.set(signer, { signer, strokes: null, png: null })
      signers.get(signer)[item.kind === 'signature_strokes' ? 'strokes' : 'png'] = item
    }
  }
  const rank = (s) => (SIGNER_ORDER.includes(s) ? SIGNER_ORDER.indexOf(s) : SIGNER_ORDER.length)
  const signatures = [...signers.values()].sort((a, b) => rank(a.signer) - rank(b.signer))
  const list = media ?? []
  const missing = list.filter((item) => !item.complete)
  return { signatures, photos, total: list.length, complete: list.length - missing.length, missing }
}

/** The signers whose signature arrived in some form (strokes or the tablet's image). */
export function signersOf(media) {
  return new Set(
    groupMedia(media)
      .signatures.filter((s) => s.strokes || s.png)
      .map((s) => s.signer),
  )
}

/** Bytes as people read them. */
export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

// ---- policy facts --------------------------------------------------------------------------------

/** 370102199003071234 → 370102************ (server/policies/facts.py identity_masked). */
function regionOnly(idNumber) {
  if (typeof idNumber !== 'string' || !idNumber) return null
  // A number the server masked for this role keeps 4 leading characters, not the 6 of the region.
  const lead = idNumber.includes('*') ? idNumber.slice(0, 4) : idNumber.slice(0, 6)
  return lead + '*'.repeat(Math.max(idNumber.length - lead.length, 0))
}

/**
 * The policy facts the questionnaire's placeholders and rules read, rebuilt from what the console
 * can see: the task's policy view and, when it could be read, the policy record (server/policies/
 * facts.py build_facts names them). Keys the console cannot know stay absent.
 */
export function factsFrom(task, policy = null) {
  const p = task?.policy ?? {}
  const full = policy ?? {}
  const details = full.details ?? {}
  const pick = (key) => (full[key] !== undefined ? full[key] : p[key])
  const holderId = pick('holder_id_number')
  const insuredId = full.insured_id_number
  const facts = {
    policy_number: pick('policy_number'),
    product_name: pick('product_name'),
    product_type: pick('product_type'),
    new_type: ['participating', 'universal', 'unit_linked'].includes(pick('product_type')),
    channel: pick('channel'),
    holder_name: pick('holder_name'),
    insured_name: pick('insured_name'),
    holder_id_masked: regionOnly(holderId),
    insured_id_masked: regionOnly(insuredId),
    // As the server decides it; without the policy record (no insured ID), by the names.
    insured_is_holder: policy
      ? (insuredId || pick('insured_name')) === (holderId || pick('holder_name'))
      : pick('insured_name') === pick('holder_name'),
    pays_on_death: pick('pays_on_death'),
    premium_fen: pick('premium_fen'),
    cooling_off_end: pick('cooling_off_end') ?? null,
    grace_end: pick('grace_end') ?? null,
    salesperson_name: full.salesperson ? full.salesperson.name : p.salesperson_name,
    institution_name: full.institution?.name ?? task?.institution?.name,
    item: task?.item,
    source: task?.source,
    amount_fen: task?.amount_fen ?? null,
    paid_to_other: task?.paid_to_other ?? false,
  }
  if (policy) {
    Object.assign(facts, {
      bank_name: full.bank_name ?? null,
      accumulating: Boolean(details.accumulating),
      regular_premium: full.payment_frequency !== 'single',
      payment_frequency: full.payment_frequency,
      payment_period_years: full.payment_period_years ?? null,
      sum_assured_fen: full.sum_assured_fen ?? null,
      term_years: full.term_months ? Math.floor(full.term_months / 12) : null,
      delivery_date: full.delivery_date ?? null,
      premium_due_date: full.premium_due_date ?? null,
      lapse_date: full.lapse_date ?? null,
      fee_items: details.fee_items ?? [],
      first_premium_deduction_fen: details.first_premium_deduction_fen ?? null,
      account_credit_fen: details.account_credit_fen ?? null,
    })
  }
  return facts
}

// ---- answers -------------------------------------------------------------------------------------

const isPlain = (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))

/**
 * The last `digits` characters of the ID number on file, when the console can see them (full for
 * some roles, masked to the last four for the others), else null.
 */
function idTail(idNumber, digits) {
  if (typeof idNumber !== 'string') return null
  const tail = idNumber.slice(-digits)
  return tail.length === digits && !tail.includes('*') ? tail.toUpperCase() : null
}

/**
 * One answer in words, with a tone: 'warn' when the answer signals a problem the questionnaire
 * names (a "no" that matters, a statement not understood, a problem choice, an ID that does not
 * match), 'muted' when there is nothing to read.
 *
 * ctx: {t, locale, facts, policy (task view's policy), flags, signers (Set), photoCount}
 */
export function answerView(question, value, ctx) {
  const { t, locale = 'zh-CN' } = ctx
  const en = locale === 'en'
  const label = (choice) => (en && choice.label_en) || fill(choice.label, ctx.facts ?? {})
  const choiceOf = (v) => (question.choices ?? []).find((c) => c.value === v)
  const none = { text: t('visits.noAnswer'), tone: 'muted' }

  if (question.type === 'signature') {
    return ctx.signers?.has(question.signer)
      ? { text: t('visits.signedSeeBelow'), tone: 'ok' }
      : { text: t('visits.notSigned'), tone: 'warn' }
  }
  if (value === undefined || value === null || value === '') return none

  switch (question.type) {
    case 'yes_no': {
      if (typeof value !== 'boolean') break
      const problem = question.problem_category && value === question.problem_when
      return {
        text: t(value ? 'questionnaire.yes' : 'questionnaire.no'),
        tone: problem ? 'warn' : 'ok',
      }
    }
    case 'statement':
      if (value === 'understood') return { text: t('questionnaire.understood'), tone: 'ok' }
      if (value === 'not_understood') {
        return { text: t('questionnaire.not_understood'), tone: 'warn' }
      }
      break
    case 'single_choice': {
      const choice = choiceOf(value)
      if (!choice)
        return { text: t('visits.unknownChoice', { value: String(value) }), tone: 'warn' }
      return { text: label(choice), tone: choice.problem_category ? 'warn' : 'ok' }
    }
    case 'multiple_choice': {
      if (!Array.isArray(value)) break
      if (!value.length) return none
      const chosen = value.map((v) => choiceOf(v))
      const text = chosen
        .map((c, i) => (c ? label(c) : t('visits.unknownChoice', { value: String(value[i]) })))
        .join(en ? '; ' : '；')
      const warn = chosen.some((c) => !c || c.problem_category)
      return { text, tone: warn ? 'warn' : 'ok' }
    }
    case 'number':
      if (typeof value !== 'number') break
      return { text: `${value}${question.unit ? ` ${question.unit}` : ''}`.trim(), tone: 'ok' }
    case 'date':
      if (typeof value !== 'string') break
      return { text: en ? value : formatDate(value), tone: 'ok' }
    case 'text':
      if (typeof value !== 'string') break
      return { text: value, tone: 'ok' }
    case 'photo':
      if (!Array.isArray(value)) break
      return { text: t('visits.photoCount', { n: value.length }), tone: 'ok' }
    case 'identity_check': {
      if (typeof value !== 'string') break
      const given = value.replace(/\s+/g, '').toUpperCase()
      const subject = question.subject || 'holder'
      const digits = question.match === 'full' ? null : question.digits || 4
      const onFile = ctx.policy?.[`${subject}_id_number`]
      const expected = digits
        ? idTail(onFile, digits)
        : typeof onFile === 'string' && !onFile.includes('*')
          ? onFile.toUpperCase()
          : null
      // The server compared the answer with the full ID number on receipt: its flag decides.
      // (The console usually sees only the masked number, so it cannot compare by itself.)
      const flags = ctx.flags ?? []
      if (flags.includes('identity_mismatch') || flags.includes('identity_unverifiable')) {
        return { text: given, tone: 'warn', note: t('visits.identityFlagged') }
      }
      if (expected !== null && given !== expected) {
        return { text: given, tone: 'warn', note: t('visits.identityDiffers') }
      }
      return { text: given, tone: 'ok', note: t('visits.identityMatches') }
    }
    default:
      if (isPlain(value)) return { text: String(value), tone: 'ok' }
      if (typeof value === 'boolean') {
        return { text: t(value ? 'questionnaire.yes' : 'questionnaire.no'), tone: 'ok' }
      }
      if (Array.isArray(value) && value.every(isPlain)) {
        return { text: value.join(en ? ', ' : '、'), tone: 'ok' }
      }
  }
  // A value of the wrong shape for its question: said so, never dumped as JSON.
  return { text: t('visits.unreadableAnswer'), tone: 'warn' }
}

/**
 * The questionnaire as answered, section by section: the questions that applied to this policy
 * (plus any question that has an answer), numbered as the tablet numbered them, each with its
 * text filled from the facts and the answer in words. Answers to ids the definition does not
 * have are returned apart (`stray`), so nothing the tablet sent is hidden.
 */
export function answerSections(definition, answers, ctx) {
  const given = answers ?? {}
  const en = ctx.locale === 'en'
  const facts = ctx.facts ?? {}
  const relevant = new Set(relevantQuestions(definition, facts, given))
  const known = new Set()
  let n = 0
  const sections = []
  for (const section of definition?.sections ?? []) {
    const rows = []
    for (const q of section.questions ?? []) {
      known.add(q.id)
      const answered = Object.hasOwn(given, q.id)
      if (!relevant.has(q.id) && !answered) continue
      rows.push({
        id: q.id,
        type: q.type,
        number: isAnswered(q) ? ++n : null,
        text: fill((en && q.text_en) || q.text, facts),
        notRelevant: !relevant.has(q.id),
        answer: answerView(q, given[q.id], ctx),
      })
    }
    if (rows.length) {
      sections.push({ id: section.id, title: (en && section.title_en) || section.title, rows })
    }
  }
  const stray = Object.keys(given)
    .filter((id) => !known.has(id))
    .map((id) => ({ id, answer: answerView({ type: 'unknown' }, given[id], ctx) }))
  return { sections, stray }
}

/** One question's text, filled from the facts, in the page's language ('' when not found). */
export function questionText(definition, questionId, facts = {}, locale = 'zh-CN') {
  for (const section of definition?.sections ?? []) {
    const q = (section.questions ?? []).find((item) => item.id === questionId)
    if (q) return fill((locale === 'en' && q.text_en) || q.text || '', facts)
  }
  return ''
}
