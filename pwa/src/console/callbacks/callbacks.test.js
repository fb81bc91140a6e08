import { describe, expect, it } from 'vitest'
import { PAGES, canOpen, visiblePages } from '../pages.js'
import {
  ATTEMPT_RESULTS,
  answerKey,
  attemptBody,
  attemptPreview,
  callbackQuery,
  emptyFilters,
  formatPhone,
  outcomeFrom,
  resultKey,
  telHref,
} from './callbacks.js'

const as = (...roles) => ({ hasRole: (role) => roles.includes(role) })
const all = (a, b, c) => ({ visit_happened: a, signature_own: b, explanation_understood: c })

describe('callback pages', () => {
  it('offers the workbench to agents, supervisors and administrators, and reading to others', () => {
    const has = (...roles) => visiblePages(as(...roles)).some((p) => p.name === 'callbacks')
    for (const role of ['phone_agent', 'supervisor', 'admin', 'reviewer', 'compliance_officer']) {
      expect(has(role)).toBe(true)
    }
    expect(has('specialist')).toBe(false)
    expect(has('designer')).toBe(false)
    expect(
      canOpen(
        PAGES.find((p) => p.name === 'callbacks'),
        as('specialist'),
      ),
    ).toBe(false)
  })
})

describe('outcome', () => {
  it('is decided by the first "no", as the server decides it', () => {
    expect(outcomeFrom(all(true, true, true))).toBe('confirmed')
    expect(outcomeFrom(all(false, false, false))).toBe('not_visited')
    expect(outcomeFrom(all(true, false, true))).toBe('signature_not_genuine')
    expect(outcomeFrom(all(true, true, false))).toBe('not_understood')
    expect(outcomeFrom({ visit_happened: true, signature_own: false })).toBeNull()
    expect(outcomeFrom(null)).toBeNull()
  })

  it('shows what a reached call will set in motion, or what is missing', () => {
    const callback = { attempts: 0 }
    expect(attemptPreview(callback, 'reached', all(true, false, true))).toMatchObject({
      outcome: 'signature_not_genuine',
      status: 'done',
      consequence: 'signature_not_genuine',
      ready: true,
    })
    expect(attemptPreview(callback, 'reached', { visit_happened: true })).toMatchObject({
      outcome: null,
      consequence: 'needAnswers',
      ready: false,
    })
    // Answers incomplete: an outcome chosen by hand fills the gap, never "unreachable".
    expect(attemptPreview(callback, 'reached', {}, 'not_understood').outcome).toBe('not_understood')
    expect(attemptPreview(callback, 'reached', {}, 'unreachable').ready).toBe(false)
  })

  it('retries an unreached call, and sends a letter after the last attempt or a refusal', () => {
    expect(attemptPreview({ attempts: 0 }, 'no_answer', {})).toMatchObject({
      consequence: 'retry',
      attempt: 1,
      status: 'pending',
    })
    expect(attemptPreview({ attempts: 2 }, 'busy', {})).toMatchObject({
      outcome: 'unreachable',
      status: 'to_letter',
      consequence: 'letter',
    })
    expect(attemptPreview({ attempts: 0 }, 'refused', {}).consequence).toBe('letter')
  })
})

describe('attempt body', () => {
  it('sends the answers of a reached call, and lets the server derive the outcome', () => {
    expect(
      attemptBody({
        result: 'reached',
        answers: all(true, false, true),
        outcome: 'confirmed',
        note: ' 客户称由他人代签 ',
        recordingRef: '',
      }),
    ).toEqual({
      result: 'reached',
      answers: all(true, false, true),
      note: '客户称由他人代签',
    })
  })

  it('sends a hand-picked outcome only when the answers are incomplete', () => {
    expect(
      attemptBody({
        result: 'reached',
        answers: { visit_happened: true },
        outcome: 'not_understood',
      }),
    ).toEqual({ result: 'reached', answers: { visit_happened: true }, outcome: 'not_understood' })
  })

  it('sends no answers nor outcome with an unreached call, and keeps the recording id', () => {
    expect(
      attemptBody({
        result: 'no_answer',
        answers: all(true, true, true),
        outcome: 'confirmed',
        recordingRef: ' CC-2026-0001 ',
      }),
    ).toEqual({ result: 'no_answer', recording_ref: 'CC-2026-0001' })
  })
})

describe('keys', () => {
  const key = (k, extra = {}) => ({ key: k, ...extra })

  it('answers with 1/Y and 2/N, clears with 0 or Backspace', () => {
    expect(answerKey(key('1'))).toEqual({ value: true })
    expect(answerKey(key('y'))).toEqual({ value: true })
    expect(answerKey(key('Y'))).toEqual({ value: true })
    expect(answerKey(key('2'))).toEqual({ value: false })
    expect(answerKey(key('n'))).toEqual({ value: false })
    expect(answerKey(key('0'))).toEqual({ value: null })
    expect(answerKey(key('Backspace'))).toEqual({ value: null })
    expect(answerKey(key('Enter'))).toBeNull()
    expect(answerKey(key('Tab'))).toBeNull()
    // Shortcuts of the browser stay theirs.
    expect(answerKey(key('1', { ctrlKey: true }))).toBeNull()
  })

  it('picks the call result with 1–5', () => {
    expect(ATTEMPT_RESULTS.map((_, i) => resultKey(key(String(i + 1))))).toEqual(ATTEMPT_RESULTS)
    expect(resultKey(key('6'))).toBeNull()
    expect(resultKey(key('y'))).toBeNull()
  })
})

describe('phone and list', () => {
  it('dials the number as stored, never a masked one', () => {
    expect(telHref('13800000001')).toBe('tel:13800000001')
    expect(telHref('0531-8888 1234')).toBe('tel:053188881234')
    expect(telHref('138****0001')).toBeNull()
    expect(telHref('')).toBeNull()
    expect(formatPhone('13800000001')).toBe('138 0000 0001')
    expect(formatPhone('0531-88881234')).toBe('0531-88881234')
  })

  it('asks for pending calls by default, with the filters chosen', () => {
    expect(callbackQuery(emptyFilters())).toEqual({ limit: 30, status: 'pending' })
    expect(callbackQuery({ status: '', mine: true, overdue: true }, 41)).toEqual({
      limit: 30,
      mine: 'true',
      overdue: 'true',
      cursor: 41,
    })
    expect(callbackQuery({ status: 'bogus' })).toEqual({ limit: 30 })
  })
})
