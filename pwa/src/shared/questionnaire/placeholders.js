// Placeholders in question text filled from the policy facts, the Chinese way: {premium} -> ¥1,234.50,
// {grace_end} -> 2026年3月5日. The twin of server/questionnaires/placeholders.py; both must write
// exactly tests/vectors/placeholders.json.

export const MISSING = '【未提供】'

const PRODUCT_TYPES = {
  traditional: '传统型',
  participating: '分红型',
  universal: '万能型',
  unit_linked: '投资连结型',
}
const CHANNELS = {
  agency: '个人代理',
  bank: '银行代理',
  telemarketing: '电话销售',
  broker: '经纪代理',
  internet: '互联网',
  direct: '直销',
}
const FREQUENCIES = {
  single: '趸交',
  annual: '年交',
  semiannual: '半年交',
  quarterly: '季交',
  monthly: '月交',
}

const TOKEN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

const isInt = (v) => typeof v === 'number' && Number.isInteger(v)

/** Integer fen as yuan, grouped by thousands: 123450 -> ¥1,234.50 (integer arithmetic only). */
export function formatMoney(fen) {
  if (!isInt(fen)) return MISSING
  const sign = fen < 0 ? '-' : ''
  const abs = BigInt(Math.abs(fen))
  const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = (abs % 100n).toString().padStart(2, '0')
  return `${sign}¥${yuan}.${cents}`
}

/** ISO date as the Chinese write it: 2026-03-05 -> 2026年3月5日. */
export function formatDate(value) {
  const m = typeof value === 'string' ? DATE.exec(value) : null
  if (!m) return MISSING
  return `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日`
}

const formatYears = (v) => (isInt(v) ? `${v}年` : MISSING)
const formatText = (v) => (v === undefined || v === null || v === '' ? MISSING : String(v))
const label = (table) => (v) =>
  typeof v === 'string' && Object.hasOwn(table, v) ? table[v] : MISSING

/** R7 fee items: 初始费用（3%）¥120.00；保单管理费（每月5元）. */
export function formatFeeItems(items) {
  if (!Array.isArray(items)) return MISSING
  if (!items.length) return '无'
  return items
    .filter((item) => item && typeof item === 'object')
    .map((item) => {
      let text = String(item.name || item.code || '')
      if (item.rate) text += `（${item.rate}）`
      if (isInt(item.amount_fen)) text += formatMoney(item.amount_fen)
      return text
    })
    .join('；')
}

// name -> [fact key, formatter]
export const PLACEHOLDERS = {
  policy_number: ['policy_number', formatText],
  product_name: ['product_name', formatText],
  product_type: ['product_type', label(PRODUCT_TYPES)],
  channel: ['channel', label(CHANNELS)],
  bank_name: ['bank_name', formatText],
  holder_name: ['holder_name', formatText],
  insured_name: ['insured_name', formatText],
  holder_id_masked: ['holder_id_masked', formatText],
  premium: ['premium_fen', formatMoney],
  payment_frequency: ['payment_frequency', label(FREQUENCIES)],
  payment_period: ['payment_period_years', formatYears],
  term: ['term_years', formatYears],
  sum_assured: ['sum_assured_fen', formatMoney],
  delivery_date: ['delivery_date', formatDate],
  cooling_off_end: ['cooling_off_end', formatDate],
  premium_due_date: ['premium_due_date', formatDate],
  grace_end: ['grace_end', formatDate],
  lapse_date: ['lapse_date', formatDate],
  amount: ['amount_fen', formatMoney],
  fee_items: ['fee_items', formatFeeItems],
  first_premium_deduction: ['first_premium_deduction_fen', formatMoney],
  account_credit: ['account_credit_fen', formatMoney],
  salesperson_name: ['salesperson_name', formatText],
  institution_name: ['institution_name', formatText],
}

/** Placeholder names a text uses, in order ({{ and }} are literal braces). */
export function namesIn(text) {
  return [...(text ?? '').matchAll(TOKEN)].filter((m) => m[1]).map((m) => m[1])
}

export function unknownIn(text) {
  return namesIn(text).filter((name) => !Object.hasOwn(PLACEHOLDERS, name))
}

/** The text with every known placeholder replaced; an unknown one stays as written. */
export function fill(text, policy = {}) {
  return (text ?? '').replace(TOKEN, (token, name) => {
    if (token === '{{' || token === '}}') return token[0]
    if (!Object.hasOwn(PLACEHOLDERS, name)) return token
    const [key, format] = PLACEHOLDERS[name]
    return format(policy?.[key])
  })
}
