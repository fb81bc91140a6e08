// The visit state machine over the built-in new-business questionnaire (the one demo data publishes).
import 'fake-indexeddb/auto'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  advance,
  canFinish,
  endEarly,
  goBack,
  identitySectionIds,
  newDraft,
  recordDraft,
  resumeFull,
  reviewProblems,
  sliceDefinition,
  stepProblems,
  stepsFor,
} from './machine.js'
import { relevantQuestions } from '../../shared/questionnaire/logic.js'

const definition = JSON.parse(
  readFileSync(
    resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../../../server/questionnaires/templates/new_business.json',
    ),
    'utf8',
  ),
)
const policy = {
  holder_name: '张三',
  insured_name: '张三',
  insured_is_holder: true,
  pays_on_death: false,
  regular_premium: true,
  channel: 'agency',
  item: 'new_business',
  source: 'no_phone',
}
const ctx = { definition, policy, today: '2026-11-25' }
const SHA = (c) => c.repeat(64)

function started() {
  return {
    ...newDraft({ id: 'u-1', taskId: 7, versionId: 3, now: '2026-11-25T09:00:00+08:00' }),
    startedAt: '2026-11-25T09:00:00+08:00',
    placeStatus: 'denied',
  }
}

/** Every relevant answerable question answered with a valid value. */
function answered() {
  const answers = {}
  for (const id of relevantQuestions(definition, policy, {})) {
    const q = definition.sections.flatMap((s) => s.questions).find((x) => x.id === id)
    if (q.type === 'yes_no') answers[id] = q.problem_when === true ? false : true
    if (q.type === 'statement') answers[id] = 'understood'
    if (q.type === 'identity_check') answers[id] = '0011'
  }
  return answers
}

describe('steps', () => {
  it('has the identity step when the questionnaire has an identity check', () => {
    expect(identitySectionIds(definition)).toEqual(['identity'])
    expect(stepsFor(started(), ctx)).toEqual([
      'start',
      'identity',
      'questions',
      'signatures',
      'photos',
      'outcome',
      'confirm',
      'review',
    ])
  })

  it('will not leave the start before the visit began and the place was tried', () => {
    const fresh = newDraft({ id: 'u', taskId: 1, versionId: 1, now: 'x' })
    expect(advance(fresh, ctx).problems.map((p) => p.code)).toEqual([
      'not_started',
      'place_pending',
    ])
    expect(advance(started(), ctx).draft.step).toBe('identity')
  })

  it('blocks the identity step until answered, and when the respondent is not the policyholder', () => {
    const d = { ...started(), step: 'identity' }
    expect(advance(d, ctx).problems.map((p) => p.questionId)).toEqual([
      'holder_present',
      'holder_id_check',
    ])
    const notHolder = { ...d, answers: { holder_present: false, holder_id_check: '0011' } }
    expect(advance(notHolder, ctx).problems.map((p) => p.code)).toEqual(['not_policyholder'])
    const ok = { ...d, answers: { holder_present: true, holder_id_check: '0011' } }
    expect(advance(ok, ctx).draft.step).toBe('questions')
  })

  it('slices the questionnaire by step with relevance decided over the whole', () => {
    const bank = { ...policy, channel: 'bank' }
    const ids = (def) =>
      def.sections.flatMap((s) => s.questions.filter((q) => q.relevant !== false).map((q) => q.id))
    expect(ids(sliceDefinition(definition, policy, {}, 'identity'))).toEqual([
      'holder_present',
      'holder_id_check',
    ])
    const q = ids(sliceDefinition(definition, policy, {}, 'questions'))
    expect(q).not.toContain('bank_insurer')
    expect(q).not.toContain('insured_signed_self')
    expect(q).not.toContain('sign_holder')
    expect(ids(sliceDefinition(definition, bank, {}, 'questions'))).toContain('bank_insurer')
  })

  it('asks the insured to sign only when the contract pays on death and the insured is another', () => {
    const d = { ...started(), step: 'signatures', answers: answered() }
    expect(stepProblems('signatures', d, ctx).map((p) => p.signer)).toEqual(['holder'])
    const other = { ...ctx, policy: { ...policy, pays_on_death: true, insured_is_holder: false } }
    expect(stepProblems('signatures', d, other).map((p) => p.signer)).toEqual(['holder', 'insured'])
  })

  it('needs the outcome, a future date and a reason for a postponed visit', () => {
    const d = { ...started(), step: 'outcome', outcome: 'postponed', postponedTo: '2026-11-20' }
    expect(stepProblems('outcome', d, ctx).map((p) => p.code)).toEqual([
      'postponed_to_future',
      'reason_required',
    ])
    expect(
      stepProblems('outcome', { ...d, postponedTo: '2026-12-01', outcomeReason: '客户出差' }, ctx),
    ).toEqual([])
  })

  it('goes back a step and ends early onto the short path, keeping the answers', () => {
    const d = { ...started(), step: 'questions', answers: { holder_present: true } }
    expect(goBack(d, ctx).step).toBe('identity')
    const short = endEarly(d)
    expect(short.step).toBe('outcome')
    expect(short.answers).toEqual({ holder_present: true })
    expect(stepsFor(short, ctx)).toEqual(['start', 'outcome', 'photos', 'confirm', 'review'])
    expect(stepProblems('outcome', { ...short, outcome: 'completed' }, ctx)[0].code).toBe(
      'outcome_not_completed',
    )
    expect(resumeFull(short, ctx).step).toBe('identity')
  })
})

describe('finishing', () => {
  const sig = (s) => ({
    strokesBlob: `${s}-strokes`,
    pngBlob: `${s}-png`,
    questionId: `sign_${s}`,
    signedAt: '2026-11-25T09:20:00+08:00',
  })
  const complete = () => ({
    ...started(),
    step: 'review',
    answers: { ...answered(), remarks: '' },
    signatures: { holder: sig('holder'), specialist: sig('specialist'), insured: sig('insured') },
    photos: [
      { blob: 'p1', sha256: SHA('a'), questionId: null, takenAt: '2026-11-25T09:10:00+08:00' },
    ],
    outcome: 'completed',
    specialistConfirmed: true,
    finishedAt: '2026-11-25T09:30:00+08:00',
  })

  it('can finish a complete visit and lists what a missing one lacks', () => {
    expect(reviewProblems(complete(), ctx)).toEqual([])
    expect(canFinish(complete(), ctx)).toBe(true)
    const missing = { ...complete(), specialistConfirmed: false, signatures: {} }
    expect(reviewProblems(missing, ctx).map((p) => `${p.step}:${p.code}`)).toEqual([
      'signatures:signature_required',
      'confirm:confirm_required',
      'confirm:signature_required',
    ])
  })

  it('sends two media per expected signature and only relevant answers', () => {
    const plan = recordDraft(complete(), ctx)
    expect(plan.outcome).toBe('completed')
    expect(plan.answers.holder_id_check).toBe('0011')
    expect(plan.answers).not.toHaveProperty('bank_insurer')
    // The insured is not expected (same person): that signature is left out.
    expect(plan.media.map((m) => `${m.kind}:${m.signer ?? m.question_id ?? '-'}`)).toEqual([
      'signature_strokes:holder',
      'signature_png:holder',
      'signature_strokes:specialist',
      'signature_png:specialist',
      'photo:-',
    ])
    expect(plan.media[0]).toMatchObject({ blobId: 'holder-strokes', question_id: 'sign_holder' })
  })

  it('finishes a visit that did not complete without customer answers being required', () => {
    const d = {
      ...endEarly(started(), 'not_at_home'),
      step: 'review',
      specialistConfirmed: true,
      signatures: { specialist: sig('specialist') },
      finishedAt: '2026-11-25T09:05:00+08:00',
    }
    expect(reviewProblems(d, ctx)).toEqual([])
    const plan = recordDraft(d, ctx)
    expect(plan.outcome).toBe('not_at_home')
    expect(plan.postponed_to).toBeNull()
    expect(plan.media).toHaveLength(2)
  })
})
