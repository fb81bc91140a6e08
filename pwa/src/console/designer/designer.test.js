import { describe, expect, it } from 'vitest'
import { holds } from '../../shared/questionnaire/logic.js'
import { buildRule, freshId, move, parseRule, questionsBefore, retype } from './designer.js'

describe('rule helper', () => {
  it('builds the profile the server accepts and reads it back', () => {
    const conditions = [
      { source: 'policy', key: 'channel', op: 'eq', value: 'bank' },
      { source: 'answers', key: 'topics', op: 'has', value: 'fees' },
      { source: 'policy', key: 'product_type', op: 'in', value: ['universal', 'unit_linked'] },
      { source: 'answers', key: 'remarks', op: 'answered', value: null },
    ]
    const rule = buildRule(conditions, 'or')
    expect(rule.or[0]).toEqual({ '===': [{ var: 'policy.channel' }, 'bank'] })
    expect(rule.or[1]).toEqual({ in: ['fees', { var: 'answers.topics' }] })
    expect(parseRule(rule)).toEqual({ combinator: 'or', conditions })
  })

  it('gives no rule for no condition, and one condition without and/or', () => {
    expect(buildRule([])).toBeUndefined()
    const one = buildRule([{ source: 'answers', key: 'a', op: 'eq', value: true }])
    expect(one).toEqual({ '===': [{ var: 'answers.a' }, true] })
    expect(holds(one, { answers: { a: true } })).toBe(true)
    expect(holds(one, { answers: { a: 'true' } })).toBe(false)
  })

  it('leaves rules beyond it to raw JSON', () => {
    expect(parseRule({ if: [true, 1, 2] })).toBeNull()
    expect(parseRule({ and: [{ '===': [1, 1] }] })).toBeNull()
    expect(parseRule(undefined)).toEqual({ combinator: 'and', conditions: [] })
  })
})

describe('definition editing', () => {
  const definition = {
    sections: [
      {
        id: 's1',
        questions: [
          { id: 'q1', type: 'yes_no' },
          { id: 'sig', type: 'signature' },
        ],
      },
      { id: 's2', questions: [{ id: 'q3', type: 'text' }] },
    ],
  }
  it('makes fresh ids', () => {
    expect(freshId(definition)).toBe('q2')
    expect(freshId(definition, 's')).toBe('s3')
  })
  it('offers only earlier answered questions to a rule', () => {
    expect(questionsBefore(definition, 1, 0).map((q) => q.id)).toEqual(['q1'])
    expect(questionsBefore(definition, 0, 0)).toEqual([])
  })
  it('moves within bounds', () => {
    expect(move([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    expect(move([1, 2, 3], 0, -1)).toEqual([1, 2, 3])
  })
  it('drops keys of the old type on a type change', () => {
    const q = { id: 'x', type: 'single_choice', text: 't', choices: [], relevant: true }
    expect(retype(q, 'yes_no')).toEqual({ id: 'x', type: 'yes_no', text: 't', relevant: true })
  })
})
