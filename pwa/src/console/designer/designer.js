// The designer's pure helpers: the rule helper's conditions <-> JSONLogic, new questions, moves, and
// sample policies for the preview. Rules are built in the profile the server accepts (=== / !==).

export const OPERATORS = [
  'eq',
  'ne',
  'in',
  'has',
  'gt',
  'gte',
  'lt',
  'lte',
  'answered',
  'unanswered',
]
const COMPARE = { eq: '===', ne: '!==', gt: '>', gte: '>=', lt: '<', lte: '<=' }
const REVERSE = Object.fromEntries(Object.entries(COMPARE).map(([k, v]) => [v, k]))

const pathOf = (c) => `${c.source}.${c.key}`
const isVar = (node) => node && typeof node === 'object' && !Array.isArray(node) && 'var' in node

/** One condition {source: 'answers'|'policy', key, op, value} as JSONLogic. */
export function conditionRule(c) {
  const v = { var: pathOf(c) }
  if (COMPARE[c.op]) return { [COMPARE[c.op]]: [v, c.value] }
  if (c.op === 'in') return { in: [v, Array.isArray(c.value) ? c.value : [c.value]] }
  if (c.op === 'has') return { in: [c.value, v] }
  if (c.op === 'answered') return { '!!': [v] }
  if (c.op === 'unanswered') return { '!': [v] }
  throw new Error(`unknown operator ${c.op}`)
}

/** Conditions joined by 'and' / 'or'; none is no rule (undefined: always relevant). */
export function buildRule(conditions, combinator = 'and') {
  const rules = conditions.filter((c) => c.key).map(conditionRule)
  if (!rules.length) return undefined
  return rules.length === 1 ? rules[0] : { [combinator]: rules }
}

function splitVar(node) {
  const path = node.var
  if (typeof path !== 'string') return null
  const [source, ...rest] = path.split('.')
  if (!['answers', 'policy'].includes(source) || rest.length !== 1) return null
  return { source, key: rest[0] }
}

function parseCondition(node) {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return null
  const [op, args] = Object.entries(node)[0] ?? []
  if (Object.keys(node).length !== 1) return null
  if (
    REVERSE[op] &&
    Array.isArray(args) &&
    args.length === 2 &&
    isVar(args[0]) &&
    !isVar(args[1])
  ) {
    const ref = splitVar(args[0])
    return ref && { ...ref, op: REVERSE[op], value: args[1] }
  }
  if (op === 'in' && Array.isArray(args) && args.length === 2) {
    if (isVar(args[0]) && Array.isArray(args[1])) {
      const ref = splitVar(args[0])
      return ref && { ...ref, op: 'in', value: args[1] }
    }
    if (isVar(args[1]) && !isVar(args[0])) {
      const ref = splitVar(args[1])
      return ref && { ...ref, op: 'has', value: args[0] }
    }
  }
  const single = Array.isArray(args) && args.length === 1 ? args[0] : args
  if ((op === '!!' || op === '!') && isVar(single)) {
    const ref = splitVar(single)
    return ref && { ...ref, op: op === '!!' ? 'answered' : 'unanswered', value: null }
  }
  return null
}

/** The helper's form of a rule, or null when the rule is beyond it (then only raw JSON edits it). */
export function parseRule(rule) {
  if (rule === undefined || rule === null || rule === true)
    return { combinator: 'and', conditions: [] }
  const single = parseCondition(rule)
  if (single) return { combinator: 'and', conditions: [single] }
  const [op, args] = Object.entries(rule ?? {})[0] ?? []
  if ((op === 'and' || op === 'or') && Array.isArray(args) && Object.keys(rule).length === 1) {
    const conditions = args.map(parseCondition)
    if (conditions.every(Boolean)) return { combinator: op, conditions }
  }
  return null
}

export const QUESTION_TYPES = [
  'single_choice',
  'multiple_choice',
  'yes_no',
  'text',
  'number',
  'date',
  'identity_check',
  'statement',
  'signature',
  'photo',
]

/** A fresh id not yet used in the definition: q1, q2, ... (ids stay stable once published). */
export function freshId(definition, prefix = 'q') {
  const used = new Set()
  for (const s of definition.sections ?? []) {
    used.add(s.id)
    for (const q of s.questions ?? []) used.add(q.id)
  }
  let n = 1
  while (used.has(`${prefix}${n}`)) n += 1
  return `${prefix}${n}`
}

export function newQuestion(type, id) {
  const q = { id, type, text: '' }
  if (type === 'single_choice' || type === 'multiple_choice') {
    q.choices = [
      { value: 'a', label: '选项一' },
      { value: 'b', label: '选项二' },
    ]
  }
  if (type === 'signature') q.signer = 'holder'
  if (type === 'identity_check') Object.assign(q, { match: 'last_digits', digits: 4 })
  return q
}

/** Keep only the keys a question of this type may have (after a type change). */
export function retype(question, type) {
  const base = newQuestion(type, question.id)
  const keep = [
    'text',
    'text_en',
    'hint',
    'hint_en',
    'required',
    'relevant',
    'constraint',
    'constraint_message',
    'constraint_message_en',
    'clauses',
  ]
  for (const key of keep) if (key in question) base[key] = question[key]
  if (type === 'signature') {
    delete base.constraint
    delete base.constraint_message
    delete base.constraint_message_en
  }
  return base
}

export function move(list, index, delta) {
  const to = index + delta
  if (to < 0 || to >= list.length) return list
  const copy = [...list]
  const [item] = copy.splice(index, 1)
  copy.splice(to, 0, item)
  return copy
}

/** Questions before a position (they are what a relevance rule may read). */
export function questionsBefore(definition, sectionIndex, questionIndex = 0) {
  const out = []
  ;(definition.sections ?? []).forEach((s, si) => {
    ;(s.questions ?? []).forEach((q, qi) => {
      if (si < sectionIndex || (si === sectionIndex && qi < questionIndex)) {
        if (q.type !== 'signature') out.push(q)
      }
    })
  })
  return out
}

const BASE = {
  policy_number: 'P370100000001',
  product_name: '鑫福年年终身寿险',
  holder_name: '张三',
  insured_name: '张小明',
  holder_id_masked: '370***********1234',
  insured_is_holder: false,
  pays_on_death: true,
  regular_premium: true,
  payment_frequency: 'annual',
  payment_period_years: 20,
  premium_fen: 1200000,
  sum_assured_fen: 50000000,
  term_years: 30,
  delivery_date: '2026-11-20',
  cooling_off_end: '2026-12-05',
  institution_name: '济南市中心支公司',
  item: 'new_business',
  source: 'no_phone',
  channel: 'agency',
  product_type: 'traditional',
  new_type: false,
  fee_items: [],
}
const FEES = [
  { code: 'initial_charge', name: '初始费用', rate: '3%', amount_fen: 36000 },
  { code: 'policy_admin', name: '保单管理费', rate: '每月5元', amount_fen: 500 },
]

/** Sample policies for the preview (PolicyFacts). */
export const SAMPLE_POLICIES = {
  traditional_agency: BASE,
  traditional_bank: { ...BASE, channel: 'bank', bank_name: '中国工商银行' },
  universal_bank: {
    ...BASE,
    product_name: '金账户万能型终身寿险',
    product_type: 'universal',
    new_type: true,
    channel: 'bank',
    bank_name: '中国建设银行',
    fee_items: FEES,
    first_premium_deduction_fen: 36500,
    account_credit_fen: 1163500,
  },
  grace_period: {
    ...BASE,
    item: 'grace_period',
    premium_due_date: '2026-12-01',
    grace_end: '2027-01-30',
  },
  lapse: {
    ...BASE,
    item: 'lapse',
    premium_due_date: '2026-10-01',
    grace_end: '2026-11-30',
    lapse_date: '2026-12-01',
  },
  claim_by_proxy: { ...BASE, item: 'claim', amount_fen: 250000, paid_to_other: true },
}

export function downloadJson(filename, data) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
