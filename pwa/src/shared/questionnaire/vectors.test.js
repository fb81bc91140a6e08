// The shared vectors: pytest runs the same files against the server (tests/questionnaires/).
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { evaluate, holds, relevantQuestions, requiredSigners, SIGNER_RULES } from './logic.js'
import { fill, formatDate, formatFeeItems, formatMoney, namesIn } from './placeholders.js'

const VECTORS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../tests/vectors')
const load = (name) => JSON.parse(readFileSync(resolve(VECTORS, name), 'utf8'))
const logic = load('questionnaire_logic.json')
const ph = load('placeholders.json')

describe('questionnaire logic vectors', () => {
  it.each(logic.rules.map((c) => [c.name, c]))('%s', (_, c) => {
    if ('expected' in c) expect(evaluate(c.rule, c.data)).toEqual(c.expected)
    expect(holds(c.rule, c.data)).toBe(c.holds)
  })

  it.each(logic.divergent.map((c) => [c.name, c]))(
    'json-logic-js differs from datalogic on %s',
    (_, c) => {
      expect(evaluate(c.rule, c.data)).toBe(c.json_logic_js)
      expect(c.json_logic_js).not.toBe(c.datalogic)
    },
  )

  it.each(logic.relevance.cases.map((c) => [c.name, c]))('relevance: %s', (_, c) => {
    expect(relevantQuestions(logic.relevance.definition, c.policy, c.answers)).toEqual(c.expected)
  })

  it('has the same signer rules as the server', () => {
    expect(SIGNER_RULES).toEqual(logic.signer_rules)
  })

  it.each(logic.signers.map((c) => [c.name, c]))('required signers: %s', (_, c) => {
    expect(requiredSigners(c.policy)).toEqual(c.expected)
  })
})

describe('placeholder vectors', () => {
  it.each(ph.money)('money %j -> %s', (value, expected) => {
    expect(formatMoney(value)).toBe(expected)
  })
  it.each(ph.date)('date %j -> %s', (value, expected) => {
    expect(formatDate(value)).toBe(expected)
  })
  it.each(ph.fee_items)('fee items %j -> %s', (value, expected) => {
    expect(formatFeeItems(value)).toBe(expected)
  })
  it.each(ph.names.map((c) => [c.text, c.names]))('names in %j', (text, names) => {
    expect(namesIn(text)).toEqual(names)
  })
  it.each(ph.fill.map((c) => [c.text, c]))('fill %s', (_, c) => {
    expect(fill(c.text, c.policy)).toBe(c.expected)
  })
})
