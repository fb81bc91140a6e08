// The visit as a state machine over its draft: which steps a visit has, what each step still needs,
// where Next and Back go, and what the finished visit sends. Plain functions of plain data (the
// draft, the questionnaire definition and the policy facts), so the rules are tested without a
// screen and a reload resumes at exactly the step the draft names.
import {
  expectedSigners,
  isAnswered,
  pruneAnswers,
  relevantQuestions,
} from '../../shared/questionnaire/logic.js'

/** The whole visit, when the specialist reaches the customer. */
export const FULL_STEPS = [
  'start',
  'identity',
  'questions',
  'signatures',
  'photos',
  'outcome',
  'confirm',
  'review',
]
/** A visit that cannot go ahead (not at home, refused, wrong address, postponed). */
export const SHORT_STEPS = ['start', 'outcome', 'photos', 'confirm', 'review']

export const OUTCOMES = ['completed', 'not_at_home', 'refused', 'wrong_address', 'postponed']
/** Outcomes that need a reason in words (the reviewer must see why). */
export const REASON_NEEDED = new Set(['refused', 'wrong_address', 'postponed'])
export const CUSTOMER_SIGNERS = ['holder', 'insured']
export const MAX_PHOTOS = 20

/** A new draft for a task. `now` is a device time string (record.deviceTime). */
export function newDraft({ id, taskId, versionId, clockOffsetMs = null, now }) {
  return {
    id,
    taskId,
    versionId: versionId ?? null,
    status: 'open',
    step: 'start',
    path: 'full',
    createdAt: now,
    startedAt: null,
    clockOffsetMs: Number.isInteger(clockOffsetMs) ? clockOffsetMs : null,
    place: null,
    placeStatus: null,
    answers: {},
    // signer -> {strokesBlob, pngBlob, questionId, signedAt, points, strokes}
    signatures: {},
    // [{blob, sha256, questionId, takenAt, width, height, size}]
    photos: [],
    outcome: null,
    outcomeReason: '',
    postponedTo: null,
    specialistConfirmed: false,
    finishedAt: null,
  }
}

// --- the questionnaire split into steps ---------------------------------------------------------

/**
 * Ids of the sections of the identity step: from the first section up to the first one holding an
 * identity check (none when the questionnaire has no identity check).
 */
export function identitySectionIds(definition) {
  const sections = definition?.sections ?? []
  const at = sections.findIndex((s) => (s.questions ?? []).some((q) => q.type === 'identity_check'))
  return at < 0 ? [] : sections.slice(0, at + 1).map((s) => s.id)
}

/** The step a question is asked in. */
export function stepOf(question, section, identityIds) {
  if (question.type === 'signature')
    return question.signer === 'specialist' ? 'confirm' : 'signatures'
  if (question.type === 'photo') return 'photos'
  if (identityIds.includes(section.id)) return 'identity'
  return 'questions'
}

/**
 * A definition holding only the questions of one step, with relevance already decided over the
 * whole questionnaire (a rule may read an answer given in an earlier step). The shared renderer
 * shows it as it is; rules baked to `false` hide what does not apply.
 */
export function sliceDefinition(definition, policy, answers, step) {
  const relevant = new Set(relevantQuestions(definition, policy, answers))
  const identityIds = identitySectionIds(definition)
  const sections = (definition?.sections ?? [])
    .map((section) => ({
      ...section,
      relevant: undefined,
      questions: (section.questions ?? [])
        .filter((q) => stepOf(q, section, identityIds) === step)
        .map((q) => ({ ...q, relevant: relevant.has(q.id) ? undefined : false })),
    }))
    .filter((section) => section.questions.some((q) => q.relevant !== false))
  return {
    ...definition,
    intro:
      step === 'identity' || (step === 'questions' && !identityIds.length) ? definition.intro : '',
    closing: step === 'questions' ? definition.closing : '',
    sections,
  }
}

/** Relevant questions of one step, each with its section. */
export function questionsOf(definition, policy, answers, step) {
  const relevant = new Set(relevantQuestions(definition, policy, answers))
  const identityIds = identitySectionIds(definition)
  const out = []
  for (const section of definition?.sections ?? [])
    for (const q of section.questions ?? [])
      if (relevant.has(q.id) && stepOf(q, section, identityIds) === step) out.push(q)
  return out
}

const empty = (v) => v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)

/** The signers of this visit: the policy's required ones and those of relevant signature boxes. */
export function signersOf(definition, policy, answers) {
  return expectedSigners(definition, policy, answers)
}

/** The signature question of a signer, if the questionnaire has one. */
export function signatureQuestion(definition, signer) {
  for (const section of definition?.sections ?? [])
    for (const q of section.questions ?? [])
      if (q.type === 'signature' && q.signer === signer) return q
  return null
}

// --- steps and what they need -------------------------------------------------------------------

export function stepsFor(draft, ctx) {
  if (draft.path === 'short') return SHORT_STEPS
  const noIdentity = !identitySectionIds(ctx.definition).length
  return FULL_STEPS.filter((s) => !(s === 'identity' && noIdentity))
}

function missingAnswers(draft, ctx, step) {
  return questionsOf(ctx.definition, ctx.policy, draft.answers, step)
    .filter((q) => isAnswered(q) && q.type !== 'photo' && q.required !== false)
    .filter((q) => empty(draft.answers[q.id]))
    .map((q) => ({ code: 'answer_required', questionId: q.id }))
}

/**
 * What a step still lacks before the specialist may go on: a list of {code, questionId?, signer?}
 * (codes are i18n keys under field.problems). [] means the step is done.
 */
export function stepProblems(step, draft, ctx) {
  const full = draft.path !== 'short'
  const completed = draft.outcome === 'completed'
  switch (step) {
    case 'start': {
      const out = []
      if (!draft.startedAt) out.push({ code: 'not_started' })
      if (!draft.placeStatus) out.push({ code: 'place_pending' })
      return out
    }
    case 'identity': {
      const out = missingAnswers(draft, ctx, 'identity')
      // R13: the visit must reach the policyholder in person.
      if (draft.answers.holder_present === false) out.push({ code: 'not_policyholder' })
      return out
    }
    case 'questions':
      return missingAnswers(draft, ctx, 'questions')
    case 'signatures': {
      if (!full) return []
      return signersOf(ctx.definition, ctx.policy, draft.answers)
        .filter((s) => s !== 'specialist' && !draft.signatures[s])
        .map((signer) => ({ code: 'signature_required', signer }))
    }
    case 'photos': {
      if (!full) return []
      return questionsOf(ctx.definition, ctx.policy, draft.answers, 'photos')
        .filter((q) => q.required !== false)
        .filter(
          (q) => draft.photos.filter((p) => p.questionId === q.id).length < (q.min_count ?? 1),
        )
        .map((q) => ({ code: 'photo_required', questionId: q.id }))
    }
    case 'outcome': {
      const out = []
      if (!OUTCOMES.includes(draft.outcome)) out.push({ code: 'outcome_required' })
      else if (completed && !full) out.push({ code: 'outcome_not_completed' })
      if (draft.outcome === 'postponed' && !draft.postponedTo)
        out.push({ code: 'postponed_to_required' })
      if (
        draft.outcome === 'postponed' &&
        draft.postponedTo &&
        ctx.today &&
        draft.postponedTo <= ctx.today
      )
        out.push({ code: 'postponed_to_future' })
      if (REASON_NEEDED.has(draft.outcome) && !draft.outcomeReason?.trim())
        out.push({ code: 'reason_required' })
      return out
    }
    case 'confirm': {
      const out = []
      if (!draft.specialistConfirmed) out.push({ code: 'confirm_required' })
      if (!draft.signatures.specialist)
        out.push({ code: 'signature_required', signer: 'specialist' })
      return out
    }
    case 'review':
      return reviewProblems(draft, ctx)
    default:
      return []
  }
}

/** Everything still missing in the visit, step by step ({step, ...problem}). */
export function reviewProblems(draft, ctx) {
  const steps = stepsFor(draft, ctx).filter((s) => s !== 'review')
  const completed = draft.outcome === 'completed'
  const out = []
  for (const step of steps) {
    // A visit that did not complete owes no answers nor customer signatures.
    if (!completed && ['identity', 'questions', 'signatures', 'photos'].includes(step)) continue
    for (const p of stepProblems(step, draft, ctx)) out.push({ step, ...p })
  }
  return out
}

export function canFinish(draft, ctx) {
  return draft.status === 'open' && reviewProblems(draft, ctx).length === 0
}

/** The step after `draft.step`, or null at the end. */
export function nextStep(draft, ctx) {
  const steps = stepsFor(draft, ctx)
  const at = steps.indexOf(draft.step)
  return at >= 0 && at < steps.length - 1 ? steps[at + 1] : null
}

export function previousStep(draft, ctx) {
  const steps = stepsFor(draft, ctx)
  const at = steps.indexOf(draft.step)
  return at > 0 ? steps[at - 1] : null
}

/**
 * Move forward if the current step is done. Review and outcome problems block; the
 * questionnaire's own steps block too, except in a visit that turned out not to complete.
 * Returns {draft, problems}: the moved draft, or the same one with what is missing.
 */
export function advance(draft, ctx) {
  const problems = stepProblems(draft.step, draft, ctx)
  if (problems.length) return { draft, problems }
  const step = nextStep(draft, ctx)
  return { draft: step ? { ...draft, step } : draft, problems: [] }
}

export function goBack(draft, ctx) {
  const step = previousStep(draft, ctx)
  return step ? { ...draft, step } : draft
}

/** Jump to a step of this visit that comes before the current one (from the review screen). */
export function goTo(draft, ctx, step) {
  const steps = stepsFor(draft, ctx)
  return steps.includes(step) ? { ...draft, step } : draft
}

/**
 * The visit cannot go ahead (nobody home, refused, not the policyholder…): switch to the short
 * path at the outcome step. Answers already given are kept, for the record.
 */
export function endEarly(draft, outcome = null) {
  return {
    ...draft,
    path: 'short',
    step: 'outcome',
    outcome: outcome && outcome !== 'completed' ? outcome : null,
  }
}

/** Back to the whole visit (the customer came to the door after all). */
export function resumeFull(draft, ctx) {
  const full = { ...draft, path: 'full', outcome: null }
  return { ...full, step: stepsFor(full, ctx)[1] }
}

// --- what the finished visit sends --------------------------------------------------------------

/** Photo answers: each photo question's list of SHA-256, in the order taken. */
export function photoAnswers(draft) {
  const out = {}
  for (const photo of draft.photos)
    if (photo.questionId) (out[photo.questionId] ??= []).push(photo.sha256)
  return out
}

/**
 * The draft for the sync client's buildRecord (without the blobs, which the caller reads from the
 * store): answers of relevant questions only; for a completed visit only the signatures it expects.
 * `media` lists {blobId, kind, signer?, question_id?, taken_at?}.
 */
export function recordDraft(draft, ctx) {
  const completed = draft.outcome === 'completed'
  const answers = pruneAnswers(ctx.definition, ctx.policy, {
    ...draft.answers,
    ...photoAnswers(draft),
  })
  const wanted = completed ? new Set(signersOf(ctx.definition, ctx.policy, draft.answers)) : null
  const media = []
  for (const signer of ['holder', 'insured', 'specialist']) {
    const sig = draft.signatures[signer]
    if (!sig || (wanted && !wanted.has(signer))) continue
    const base = { signer, question_id: sig.questionId ?? null, taken_at: sig.signedAt }
    media.push({ ...base, kind: 'signature_strokes', blobId: sig.strokesBlob })
    media.push({ ...base, kind: 'signature_png', blobId: sig.pngBlob })
  }
  const relevant = new Set(relevantQuestions(ctx.definition, ctx.policy, draft.answers))
  for (const photo of draft.photos) {
    // A photo of a question that no longer applies stays a photo of the visit, without the link.
    const questionId = photo.questionId && relevant.has(photo.questionId) ? photo.questionId : null
    media.push({
      kind: 'photo',
      blobId: photo.blob,
      question_id: questionId,
      taken_at: photo.takenAt,
    })
  }
  for (const m of media) if (m.question_id === null) delete m.question_id
  return {
    uuid: draft.id,
    task_id: draft.taskId,
    questionnaire_version_id: draft.versionId,
    started_at: draft.startedAt,
    finished_at: draft.finishedAt,
    place: draft.place,
    place_status: draft.placeStatus,
    outcome: draft.outcome,
    outcome_reason: draft.outcomeReason?.trim() || null,
    postponed_to: draft.outcome === 'postponed' ? draft.postponedTo : null,
    answers: completed ? answers : pruneAnswers(ctx.definition, ctx.policy, draft.answers),
    media,
  }
}
