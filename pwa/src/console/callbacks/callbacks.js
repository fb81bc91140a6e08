// Plain logic of the phone callback workbench (R14, R13): the outcome the customer's answers give
// (the server decides the same way), what submitting will set in motion, the keys that answer the
// script without the mouse, and the list's query. No Vue in here.

/** server/callbacks/models.py */
export const STATUSES = ['pending', 'done', 'to_letter', 'recontact']
export const ATTEMPT_RESULTS = ['reached', 'no_answer', 'busy', 'wrong_number', 'refused']
export const OUTCOMES = [
  'confirmed',
  'not_visited',
  'signature_not_genuine',
  'not_understood',
  'unreachable',
]
/** server/callbacks/services.py SCRIPT: each question, and the outcome a "no" gives. */
export const SCRIPT = [
  { id: 'visit_happened', failsAs: 'not_visited' },
  { id: 'signature_own', failsAs: 'signature_not_genuine' },
  { id: 'explanation_understood', failsAs: 'not_understood' },
]
export const SCRIPT_IDS = SCRIPT.map((q) => q.id)
export const MAX_ATTEMPTS = 3 // on three working days, then a letter (R13)
export const MAX_RECORDING_BYTES = 50 * 1024 * 1024
export const PAGE_SIZE = 30

/** The outcome the answers give, or null while a question is unanswered (the first "no" decides). */
export function outcomeFrom(answers) {
  const given = answers ?? {}
  if (SCRIPT_IDS.some((id) => typeof given[id] !== 'boolean')) return null
  const failed = SCRIPT.find((q) => given[q.id] === false)
  return failed ? failed.failsAs : 'confirmed'
}

/**
 * What submitting this attempt will do, for the agent to see before pressing submit:
 * {outcome, status, consequence, attempt, ready}. `chosen` is the outcome picked by hand when
 * the customer did not answer every question.
 */
export function attemptPreview(callback, result, answers, chosen = '') {
  const attempt = (callback?.attempts ?? 0) + 1
  if (result === 'reached') {
    const derived = outcomeFrom(answers)
    const outcome =
      derived ?? (OUTCOMES.includes(chosen) && chosen !== 'unreachable' ? chosen : null)
    if (!outcome) {
      return { outcome: null, status: 'pending', consequence: 'needAnswers', attempt, ready: false }
    }
    return { outcome, status: 'done', consequence: outcome, attempt, ready: true }
  }
  if (!ATTEMPT_RESULTS.includes(result)) {
    return { outcome: null, status: 'pending', consequence: null, attempt, ready: false }
  }
  // Refused, or never reached after the last attempt: a letter goes instead (R13).
  if (result === 'refused' || attempt >= MAX_ATTEMPTS) {
    return {
      outcome: 'unreachable',
      status: 'to_letter',
      consequence: 'letter',
      attempt,
      ready: true,
    }
  }
  return { outcome: null, status: 'pending', consequence: 'retry', attempt, ready: true }
}

/** The body of POST /callbacks/<id>/attempts. Answers and outcome go only with a reached call. */
export function attemptBody({ result, answers, outcome, note, recordingRef }) {
  const body = { result }
  if (result === 'reached') {
    const given = Object.fromEntries(
      SCRIPT_IDS.filter((id) => typeof answers?.[id] === 'boolean').map((id) => [id, answers[id]]),
    )
    if (Object.keys(given).length) body.answers = given
    // The server derives the outcome from complete answers; a hand-picked one only fills the gap.
    if (!outcomeFrom(given) && outcome && outcome !== 'unreachable') body.outcome = outcome
  }
  const text = (note ?? '').trim()
  if (text) body.note = text.slice(0, 1000)
  const ref = (recordingRef ?? '').trim()
  if (ref) body.recording_ref = ref.slice(0, 200)
  return body
}

/**
 * A key pressed on a script question: {value: true|false} to answer, {value: null} to clear, or
 * null for a key that is not an answer. 1/Y yes, 2/N no, 0/Backspace/Delete clear.
 */
export function answerKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null
  const key = event.key
  if (key === '1' || key === 'y' || key === 'Y') return { value: true }
  if (key === '2' || key === 'n' || key === 'N') return { value: false }
  if (key === '0' || key === 'Backspace' || key === 'Delete') return { value: null }
  return null
}

/** A key pressed on the result choice: 1–5 pick a result in order, else null. */
export function resultKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null
  const n = Number.parseInt(event.key, 10)
  return n >= 1 && n <= ATTEMPT_RESULTS.length && String(n) === event.key
    ? ATTEMPT_RESULTS[n - 1]
    : null
}

/** A tel: link for the number as stored (digits and a leading + only). */
export function telHref(phone) {
  const digits = String(phone ?? '').replace(/[^\d+]/g, '')
  return digits && !String(phone).includes('*') ? `tel:${digits}` : null
}

/** A mainland mobile number grouped the way it is read out: 138 0000 0001. */
export function formatPhone(phone) {
  const text = String(phone ?? '')
  return /^1\d{10}$/.test(text) ? `${text.slice(0, 3)} ${text.slice(3, 7)} ${text.slice(7)}` : text
}

export const emptyFilters = () => ({ status: 'pending', mine: false, overdue: false })

/** The query of GET /callbacks for these filters. */
export function callbackQuery(filters, cursor = null, limit = PAGE_SIZE) {
  const query = { limit }
  if (STATUSES.includes(filters.status)) query.status = filters.status
  if (filters.mine) query.mine = 'true'
  if (filters.overdue) query.overdue = 'true'
  if (cursor) query.cursor = cursor
  return query
}

export const statusTone = (status) =>
  ({ pending: 'warning', done: 'success', to_letter: 'primary' })[status] ?? 'default'
export const outcomeTone = (outcome) =>
  outcome === 'confirmed' ? 'success' : outcome === 'unreachable' ? 'default' : 'danger'

// ---- first calls (R11 phone first) ----------------------------------------------------------------

/** server/callbacks/models.py FIRST_CALL_OUTCOMES: each opens exactly its follow-up. */
export const FIRST_CALL_OUTCOMES = [
  'answered',
  'wants_explanation',
  'unsigned_papers',
  'misconduct',
  'phone_refused',
  'wants_letter',
]
export const isFirstCall = (callback) => callback?.kind === 'first_call'

const STATEMENT_VALUES = ['understood', 'not_understood']

/**
 * The answers a script question offers by key, in order ({value, key}), or null for a question
 * answered by typing (identity check, text, number, date).
 */
export function questionChoices(question) {
  let values = null
  if (question?.type === 'yes_no') values = [true, false]
  else if (question?.type === 'statement') values = STATEMENT_VALUES
  else if (question?.type === 'single_choice') values = (question.choices ?? []).map((c) => c.value)
  if (!values) return null
  return values.slice(0, 9).map((value, i) => ({ value, key: String(i + 1) }))
}

/**
 * A key pressed on a first call's question: {value} to answer, {value: null} to clear, or null.
 * 1–9 pick the choice in order (also Y/N on a yes/no question); 0/Backspace/Delete clear.
 */
export function choiceKey(event, question) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null
  const choices = questionChoices(question)
  if (!choices) return null
  const key = event.key
  if (key === '0' || key === 'Backspace' || key === 'Delete') return { value: null }
  if (question.type === 'yes_no' && (key === 'y' || key === 'Y')) return { value: true }
  if (question.type === 'yes_no' && (key === 'n' || key === 'N')) return { value: false }
  const picked = choices.find((c) => c.key === key)
  return picked ? { value: picked.value } : null
}

const given = (value) => value !== undefined && value !== null && value !== ''

/** The script questions still unanswered that must be answered. */
export function missingAnswers(script, answers) {
  return (script ?? [])
    .filter((q) => q.required !== false && !given(answers?.[q.id]))
    .map((q) => q.id)
}

/**
 * What submitting a first call's attempt will do: {outcome, status, consequence, attempt, ready}.
 * Reached: "answered" needs every required question; any other outcome ends the call as it is.
 */
export function firstCallPreview(
  callback,
  result,
  answers,
  chosen = '',
  maxAttempts = MAX_ATTEMPTS,
) {
  const attempt = (callback?.attempts ?? 0) + 1
  if (result === 'reached') {
    const outcome = FIRST_CALL_OUTCOMES.includes(chosen) ? chosen : 'answered'
    const ready = outcome !== 'answered' || missingAnswers(callback?.script, answers).length === 0
    return {
      outcome,
      status: ready ? 'done' : 'pending',
      consequence: ready ? `first_${outcome}` : 'needAnswers',
      attempt,
      ready,
    }
  }
  if (result === 'refused') {
    return {
      outcome: 'phone_refused',
      status: 'done',
      consequence: 'first_phone_refused',
      attempt,
      ready: true,
    }
  }
  if (!ATTEMPT_RESULTS.includes(result)) {
    return { outcome: null, status: 'pending', consequence: null, attempt, ready: false }
  }
  if (result === 'wrong_number' || attempt >= maxAttempts) {
    return { outcome: null, status: 'recontact', consequence: 'recontact', attempt, ready: true }
  }
  return { outcome: null, status: 'pending', consequence: 'retry', attempt, ready: true }
}

/** The body of a first call's attempt: the script's given answers and the chosen outcome. */
export function firstCallBody({ script, result, answers, outcome, note, recordingRef }) {
  const body = { result }
  if (result === 'reached' || result === 'refused') {
    const ids = new Set((script ?? []).map((q) => q.id))
    const kept = Object.fromEntries(
      Object.entries(answers ?? {}).filter(([id, value]) => ids.has(id) && given(value)),
    )
    if (Object.keys(kept).length) body.answers = kept
    if (result === 'reached' && FIRST_CALL_OUTCOMES.includes(outcome)) body.outcome = outcome
  }
  const text = (note ?? '').trim()
  if (text) body.note = text.slice(0, 1000)
  const ref = (recordingRef ?? '').trim()
  if (ref) body.recording_ref = ref.slice(0, 200)
  return body
}
