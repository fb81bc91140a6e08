// JSONLogic for questionnaires, as the server evaluates it (server/questionnaires/logic.py).
// Rules run over {answers, policy} (a constraint also sees `value`). tests/vectors/questionnaire_logic.json
// is run by Vitest here and by pytest there, so the tablet and the server always agree on what to ask.
import jsonLogic from 'json-logic-js'

/** JSONLogic truth (json-logic-js's own): [] is false, "0" is true. */
export function truthy(value) {
  return jsonLogic.truthy(value)
}

/** The rule's value; an evaluation error counts as null (false), as on the server. */
export function evaluate(rule, data) {
  try {
    return jsonLogic.apply(rule, data)
  } catch {
    return null
  }
}

/** Whether a relevance or constraint rule holds; no rule always holds. */
export function holds(rule, data) {
  if (rule === undefined || rule === null) return true
  return truthy(evaluate(rule, data))
}

const NOT_ANSWERED = new Set(['signature'])

/** Whether a question's capture is an entry of `answers` (signatures travel on their own). */
export function isAnswered(question) {
  return !NOT_ANSWERED.has(question.type)
}

/**
 * Ids of the questions to put, in order. Rules see only the answers of relevant questions before
 * them, so an answer left behind by a question that became irrelevant changes nothing.
 */
export function relevantQuestions(definition, policy, answers) {
  const effective = {}
  const relevant = []
  for (const section of definition?.sections ?? []) {
    const sectionOn = holds(section.relevant, { answers: { ...effective }, policy })
    for (const question of section.questions ?? []) {
      if (!sectionOn) continue
      if (!holds(question.relevant, { answers: { ...effective }, policy })) continue
      relevant.push(question.id)
      if (isAnswered(question) && Object.hasOwn(answers ?? {}, question.id)) {
        effective[question.id] = answers[question.id]
      }
    }
  }
  return relevant
}

// R7: the insured signs a contract paying on death (when not the holder) on new-business matters;
// the holder and the specialist always. The server sends the same rules (catalog.signer_rules).
export const INSURED_SIGNS = {
  and: [
    { '===': [{ var: 'policy.pays_on_death' }, true] },
    { '!==': [{ var: 'policy.insured_is_holder' }, true] },
    {
      or: [
        { '===': [{ var: 'policy.item' }, 'new_business'] },
        { in: [{ var: 'policy.source' }, ['explanation', 're_sign']] },
      ],
    },
  ],
}
export const SIGNER_RULES = { holder: true, insured: INSURED_SIGNS, specialist: true }

export function requiredSigners(policy, rules = SIGNER_RULES) {
  return Object.entries(rules)
    .filter(([, rule]) => holds(rule, { answers: {}, policy }))
    .map(([signer]) => signer)
}

/** Signers the visit needs: the policy's required ones plus those of relevant signature questions. */
export function expectedSigners(definition, policy, answers) {
  const wanted = new Set(requiredSigners(policy))
  const relevant = new Set(relevantQuestions(definition, policy, answers))
  for (const section of definition?.sections ?? []) {
    for (const q of section.questions ?? []) {
      if (q.type === 'signature' && relevant.has(q.id)) wanted.add(q.signer)
    }
  }
  return Object.keys(SIGNER_RULES).filter((s) => wanted.has(s))
}

/** The answers to send: those of relevant questions only (the server refuses the others). */
export function pruneAnswers(definition, policy, answers) {
  const keep = new Set(relevantQuestions(definition, policy, answers))
  return Object.fromEntries(Object.entries(answers ?? {}).filter(([id]) => keep.has(id)))
}

/** Every question of a definition in order, with its section. */
export function allQuestions(definition) {
  return (definition?.sections ?? []).flatMap((section) =>
    (section.questions ?? []).map((question) => ({ section, question })),
  )
}
