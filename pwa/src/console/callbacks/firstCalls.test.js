import { describe, expect, it } from 'vitest'
import {
  choiceKey,
  firstCallBody,
  firstCallPreview,
  isFirstCall,
  missingAnswers,
  questionChoices,
} from './callbacks.js'

const key = (k, extra = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...extra })
const yesNo = { id: 'holder_present', type: 'yes_no' }
const statement = { id: 'liability', type: 'statement' }
const choice = {
  id: 'payment_intention',
  type: 'single_choice',
  choices: [{ value: 'will_pay' }, { value: 'paid_already' }, { value: 'will_not_pay' }],
}
const identity = { id: 'holder_id_check', type: 'identity_check' }
const remarks = { id: 'remarks', type: 'text', required: false }
const call = { kind: 'first_call', attempts: 0, script: [yesNo, identity, statement, remarks] }

describe('first call script', () => {
  it('tells first calls from confirmations', () => {
    expect(isFirstCall(call)).toBe(true)
    expect(isFirstCall({ kind: 'confirmation' })).toBe(false)
  })

  it('numbers the choices of each answerable question; typed questions have none', () => {
    expect(questionChoices(yesNo)).toEqual([
      { value: true, key: '1' },
      { value: false, key: '2' },
    ])
    expect(questionChoices(statement).map((c) => c.value)).toEqual(['understood', 'not_understood'])
    expect(questionChoices(choice).map((c) => c.key)).toEqual(['1', '2', '3'])
    expect(questionChoices(identity)).toBeNull()
  })

  it('answers with the keyboard alone', () => {
    expect(choiceKey(key('1'), yesNo)).toEqual({ value: true })
    expect(choiceKey(key('n'), yesNo)).toEqual({ value: false })
    expect(choiceKey(key('2'), statement)).toEqual({ value: 'not_understood' })
    expect(choiceKey(key('3'), choice)).toEqual({ value: 'will_not_pay' })
    expect(choiceKey(key('4'), choice)).toBeNull()
    expect(choiceKey(key('Backspace'), choice)).toEqual({ value: null })
    expect(choiceKey(key('1', { ctrlKey: true }), yesNo)).toBeNull()
    expect(choiceKey(key('1'), identity)).toBeNull()
  })

  it('lists the required questions still unanswered', () => {
    expect(missingAnswers(call.script, { holder_present: true })).toEqual([
      'holder_id_check',
      'liability',
    ])
    expect(
      missingAnswers(call.script, {
        holder_present: true,
        holder_id_check: '1234',
        liability: 'understood',
      }),
    ).toEqual([])
  })
})

describe('first call preview and body', () => {
  const full = { holder_present: true, holder_id_check: '1234', liability: 'understood' }

  it('needs every required answer for "answered", not for an outcome that ends the call', () => {
    expect(firstCallPreview(call, 'reached', { holder_present: true }).ready).toBe(false)
    expect(firstCallPreview(call, 'reached', full)).toMatchObject({
      outcome: 'answered',
      ready: true,
      consequence: 'first_answered',
    })
    expect(
      firstCallPreview(call, 'reached', { holder_present: true }, 'wants_explanation'),
    ).toMatchObject({ outcome: 'wants_explanation', status: 'done', ready: true })
  })

  it('retries, then goes to re-confirmation; a wrong number at once; a refusal is a visit', () => {
    expect(firstCallPreview(call, 'no_answer').consequence).toBe('retry')
    expect(firstCallPreview({ ...call, attempts: 2 }, 'busy').status).toBe('recontact')
    expect(firstCallPreview(call, 'wrong_number').status).toBe('recontact')
    expect(firstCallPreview(call, 'refused').outcome).toBe('phone_refused')
  })

  it('sends only the script answers given, and the outcome only with a reached call', () => {
    const body = firstCallBody({
      script: call.script,
      result: 'reached',
      answers: { ...full, remarks: '', stray: true },
      outcome: 'wants_explanation',
      note: '  客户需要上门解释 ',
    })
    expect(body).toEqual({
      result: 'reached',
      answers: full,
      outcome: 'wants_explanation',
      note: '客户需要上门解释',
    })
    expect(firstCallBody({ script: call.script, result: 'busy', answers: full })).toEqual({
      result: 'busy',
    })
  })
})
