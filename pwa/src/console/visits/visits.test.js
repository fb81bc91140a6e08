import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import en from '../../shared/locales/en.json'
import zhCN from '../../shared/locales/zh-CN.json'
import {
  FLAGS,
  answerSections,
  answerView,
  clockOffsetView,
  correctedTime,
  durationView,
  factsFrom,
  flagText,
  formatCoordinates,
  formatSpan,
  geoUri,
  groupMedia,
  noPlaceKey,
  questionText,
  signersOf,
  sortFlags,
  timeZoneOf,
  visitQuery,
} from './visits.js'

function words(locale = 'zh-CN') {
  const i18n = createI18n({ legacy: false, locale, messages: { 'zh-CN': zhCN, en } })
  return { t: i18n.global.t, te: i18n.global.te, locale }
}

const zh = words()
const sha = (n) => String(n).padStart(64, 'a')

describe('flags', () => {
  it('names each flag the server raises in Chinese, with a one-sentence explanation', () => {
    expect(flagText('identity_mismatch', zh)).toMatchObject({
      label: '身份核对不符',
      tone: 'danger',
    })
    expect(flagText('task_reassigned', zh).label).toBe('任务已改派')
    expect(flagText('task_cancelled', zh).label).toBe('任务已取消')
    expect(flagText('second_visit_for_task', zh).label).toBe('同一任务第二次面访')
    expect(flagText('identity_unverifiable', zh).label).toBe('无法核对身份')
    for (const code of Object.keys(FLAGS)) {
      const { explain } = flagText(code, zh)
      expect(explain).toMatch(/。$/)
      expect(explain.split('。').filter(Boolean)).toHaveLength(1)
      expect(flagText(code, words('en')).explain).toMatch(/\.$/)
    }
  })

  it('shows a flag it does not know by its code, as a warning, and says it has no explanation', () => {
    const flag = flagText('shared_phone', zh)
    expect(flag).toMatchObject({ label: 'shared_phone', tone: 'warning' })
    expect(flag.explain).toContain('shared_phone')
  })

  it('puts the heavier flags first', () => {
    expect(sortFlags(['task_reassigned', 'zz_new', 'identity_mismatch', 'task_cancelled'])).toEqual(
      ['identity_mismatch', 'task_cancelled', 'task_reassigned', 'zz_new'],
    )
    expect(sortFlags(null)).toEqual([])
  })
})

describe('list query', () => {
  it('sends only known filters, flagged as true, and the cursor', () => {
    expect(
      visitQuery({ state: 'submitted', outcome: '', flagged: true }, { cursor: 'abc' }),
    ).toEqual({ state: 'submitted', outcome: '', flagged: 'true', limit: 30, cursor: 'abc' })
    expect(visitQuery({ state: 'bogus', outcome: 'refused', flagged: false })).toMatchObject({
      state: '',
      outcome: 'refused',
      flagged: '',
      cursor: '',
    })
  })
})

describe('times', () => {
  it('writes spans the Chinese and the English way', () => {
    expect(formatSpan(40 * 60000)).toBe('40分钟')
    expect(formatSpan(65 * 60000)).toBe('1小时5分')
    expect(formatSpan(45000)).toBe('45秒')
    expect(formatSpan(2 * 60000 + 5000)).toBe('2分5秒')
    expect(formatSpan(26 * 3600000)).toBe('1天2小时')
    expect(formatSpan(400)).toBe('0秒')
    expect(formatSpan(65 * 60000, 'en')).toBe('1 h 5 min')
    expect(formatSpan(-45000, 'en')).toBe('45 s')
    expect(formatSpan(null)).toBe('')
  })

  it('measures a visit between device times with their offsets', () => {
    expect(durationView('2026-11-25T09:00:00+08:00', '2026-11-25T09:40:00+08:00')).toEqual({
      key: 'visits.durationValue',
      span: '40分钟',
      warn: false,
    })
    // The tablet crossed zones: 09:50+09:00 is 08:50 in Beijing, ten minutes before the start.
    expect(durationView('2026-11-25T09:00:00+08:00', '2026-11-25T09:50:00+09:00')).toMatchObject({
      key: 'visits.durationNegative',
      span: '10分钟',
      warn: true,
    })
    expect(durationView('', '2026-11-25T09:50:00+08:00').key).toBe('visits.durationUnknown')
  })

  it('tells which way the device clock was off, and by how much', () => {
    expect(clockOffsetView(125000)).toEqual({
      key: 'visits.clockSlow',
      span: '2分5秒',
      warn: false,
    })
    expect(clockOffsetView(-7 * 60000)).toEqual({
      key: 'visits.clockFast',
      span: '7分钟',
      warn: true,
    })
    expect(clockOffsetView(300).key).toBe('visits.clockExact')
    expect(clockOffsetView(null).key).toBe('visits.clockUnknown')
    expect(clockOffsetView(undefined).key).toBe('visits.clockUnknown')
  })

  it('moves a device time onto the server clock and reads its zone', () => {
    expect(correctedTime('2026-11-25T09:00:00+08:00', 120000)).toBe('2026-11-25T01:02:00.000Z')
    expect(correctedTime('2026-11-25T09:00:00+08:00', null)).toBeNull()
    expect(timeZoneOf('2026-11-25T09:00:00+08:00')).toBe('+08:00')
    expect(timeZoneOf('2026-11-25T01:00:00Z')).toBe('Z')
    expect(timeZoneOf('nonsense')).toBeNull()
  })
})

describe('place', () => {
  it('links a place as a geo URI with its accuracy, no map tiles', () => {
    const place = {
      lat: 36.65123,
      lon: 117.12012,
      accuracy_m: 35.4,
      at: '2026-11-25T09:01:00+08:00',
    }
    expect(geoUri(place)).toBe('geo:36.65123,117.12012;u=35')
    expect(formatCoordinates(place)).toBe('36.65123°N, 117.12012°E')
    expect(geoUri(null)).toBeNull()
  })

  it('says why there is no place', () => {
    expect(noPlaceKey({ place: null, place_status: 'denied' })).toBe('visits.noPlace.denied')
    expect(noPlaceKey({ place_status: 'timeout' })).toBe('visits.noPlace.timeout')
    expect(noPlaceKey({})).toBe('visits.noPlace.none')
  })
})

describe('media', () => {
  it('pairs each signer’s strokes with the tablet image and counts what arrived', () => {
    const grouped = groupMedia([
      { sha256: sha(1), kind: 'photo', complete: true },
      { sha256: sha(2), kind: 'signature_strokes', signer: 'specialist', complete: true },
      { sha256: sha(3), kind: 'signature_png', signer: 'holder', complete: false },
      { sha256: sha(4), kind: 'signature_strokes', signer: 'holder', complete: true },
    ])
    expect(grouped.signatures.map((s) => s.signer)).toEqual(['holder', 'specialist'])
    expect(grouped.signatures[0].png.sha256).toBe(sha(3))
    expect(grouped.signatures[0].strokes.sha256).toBe(sha(4))
    expect(grouped.signatures[1].png).toBeNull()
    expect(grouped.photos).toHaveLength(1)
    expect(grouped).toMatchObject({ total: 4, complete: 3 })
    expect(grouped.missing.map((m) => m.sha256)).toEqual([sha(3)])
  })
})

const TASK = {
  item: 'new_business',
  source: 'no_phone',
  institution: { name: '历下区' },
  policy: {
    policy_number: 'P1',
    product_name: '鑫福年年终身寿险',
    product_type: 'traditional',
    channel: 'agency',
    holder_name: '张三',
    holder_id_number: '3701**********1234',
    insured_name: '张三',
    pays_on_death: true,
    premium_fen: 500000,
    cooling_off_end: '2026-12-10',
  },
}

describe('policy facts', () => {
  it('rebuilds what the placeholders read from the task, and more from the policy', () => {
    const facts = factsFrom(TASK)
    expect(facts).toMatchObject({
      policy_number: 'P1',
      holder_name: '张三',
      insured_is_holder: true,
      institution_name: '历下区',
      item: 'new_business',
      holder_id_masked: '3701**************',
    })
    expect(facts).not.toHaveProperty('sum_assured_fen')
    const more = factsFrom(TASK, {
      holder_id_number: '370102198001011234',
      insured_id_number: '370102198001011234',
      insured_name: '张三',
      payment_frequency: 'annual',
      payment_period_years: 10,
      sum_assured_fen: 10000000,
      term_months: 240,
      institution: { name: '济南市历下区' },
      details: { fee_items: [] },
    })
    expect(more).toMatchObject({
      sum_assured_fen: 10000000,
      term_years: 20,
      regular_premium: true,
      holder_id_masked: '370102************',
      institution_name: '济南市历下区',
      insured_is_holder: true,
    })
  })
})

describe('answers in words', () => {
  const ctx = { ...zh, facts: factsFrom(TASK), policy: TASK.policy, flags: [], signers: new Set() }

  it('says yes and no, and marks the answer the questionnaire counts as a problem', () => {
    const q = { type: 'yes_no', problem_category: 'not_policyholder', problem_when: false }
    expect(answerView(q, true, ctx)).toEqual({ text: '是', tone: 'ok' })
    expect(answerView(q, false, ctx)).toEqual({ text: '否', tone: 'warn' })
    expect(answerView({ type: 'yes_no' }, false, ctx)).toEqual({ text: '否', tone: 'ok' })
  })

  it('tells statements understood or not', () => {
    expect(answerView({ type: 'statement' }, 'understood', ctx).text).toBe('已听清并理解')
    expect(answerView({ type: 'statement' }, 'not_understood', ctx)).toEqual({
      text: '未理解',
      tone: 'warn',
    })
  })

  it('gives choices by their label, filled from the facts, in either language', () => {
    const q = {
      type: 'single_choice',
      choices: [
        { value: 'self', label: '{holder_name}本人', label_en: 'The holder' },
        { value: 'other', label: '他人', problem_category: 'not_policyholder' },
      ],
    }
    expect(answerView(q, 'self', ctx)).toEqual({ text: '张三本人', tone: 'ok' })
    expect(answerView(q, 'other', ctx).tone).toBe('warn')
    expect(answerView(q, 'self', { ...ctx, ...words('en') }).text).toBe('The holder')
    expect(answerView(q, 'gone', ctx)).toEqual({ text: '问卷中没有的选项（gone）', tone: 'warn' })
    const multi = { ...q, type: 'multiple_choice' }
    expect(answerView(multi, ['self', 'other'], ctx)).toEqual({
      text: '张三本人；他人',
      tone: 'warn',
    })
  })

  it('writes numbers with units, dates the Chinese way, text as said', () => {
    expect(answerView({ type: 'number', unit: '元' }, 1200, ctx).text).toBe('1200 元')
    expect(answerView({ type: 'date' }, '2026-03-05', ctx).text).toBe('2026年3月5日')
    expect(answerView({ type: 'date' }, '2026-03-05', { ...ctx, ...words('en') }).text).toBe(
      '2026-03-05',
    )
    expect(answerView({ type: 'text' }, '客户说已收到保单', ctx).text).toBe('客户说已收到保单')
    expect(answerView({ type: 'photo' }, [sha(1), sha(2)], ctx).text).toBe('2 张照片（见“照片”）')
  })

  it('compares an identity answer with the last digits on file when they can be seen', () => {
    const q = { type: 'identity_check', subject: 'holder', match: 'last_digits', digits: 4 }
    expect(answerView(q, '1234', ctx)).toMatchObject({
      tone: 'ok',
      note: '与保单登记的证件号码一致',
    })
    expect(answerView(q, '9999', ctx)).toMatchObject({ tone: 'warn', text: '9999' })
    const hidden = { ...ctx, policy: { holder_id_number: null }, flags: ['identity_mismatch'] }
    expect(answerView(q, '9999', hidden)).toMatchObject({
      tone: 'warn',
      note: '服务器核对不符',
    })
  })

  it('never shows raw JSON: missing, malformed and signature answers are said in words', () => {
    expect(answerView({ type: 'yes_no' }, undefined, ctx)).toEqual({
      text: '未作答',
      tone: 'muted',
    })
    expect(answerView({ type: 'yes_no' }, { a: 1 }, ctx)).toEqual({
      text: '答案格式无法识别',
      tone: 'warn',
    })
    expect(answerView({ type: 'mystery' }, { a: 1 }, ctx).text).toBe('答案格式无法识别')
    const sig = { type: 'signature', signer: 'holder' }
    expect(answerView(sig, undefined, { ...ctx, signers: new Set(['holder']) }).text).toBe(
      '已签名（见“签名”）',
    )
    expect(answerView(sig, undefined, ctx)).toEqual({ text: '未签名', tone: 'warn' })
  })

  it('lays out the questionnaire by section, numbered, skipping what did not apply', () => {
    const definition = {
      sections: [
        {
          id: 'identity',
          title: '身份核实',
          title_en: 'Identity',
          questions: [
            { id: 'present', type: 'yes_no', text: '您是投保人{holder_name}本人吗？' },
            {
              id: 'insured_signed',
              type: 'yes_no',
              text: '被保险人签了吗？',
              relevant: { '!==': [{ var: 'policy.insured_is_holder' }, true] },
            },
          ],
        },
        {
          id: 'sign',
          title: '签名',
          questions: [
            { id: 'sign_holder', type: 'signature', signer: 'holder', text: '投保人签名' },
            { id: 'understood', type: 'statement', text: '犹豫期至{cooling_off_end}。' },
          ],
        },
      ],
    }
    const { sections, stray } = answerSections(
      definition,
      { present: true, understood: 'not_understood', old_question: 'x' },
      { ...ctx, signers: new Set(['holder']) },
    )
    expect(sections.map((s) => s.title)).toEqual(['身份核实', '签名'])
    expect(sections[0].rows.map((r) => [r.number, r.text, r.answer.text])).toEqual([
      [1, '您是投保人张三本人吗？', '是'],
    ])
    expect(sections[1].rows.map((r) => [r.number, r.text, r.answer.text])).toEqual([
      [null, '投保人签名', '已签名（见“签名”）'],
      [2, '犹豫期至2026年12月10日。', '未理解'],
    ])
    expect(stray).toEqual([{ id: 'old_question', answer: { text: 'x', tone: 'ok' } }])
  })

  it('keeps an answer to a question that no longer seems to apply, marked so', () => {
    const definition = {
      sections: [
        {
          id: 's',
          title: 'S',
          questions: [
            {
              id: 'insured_signed',
              type: 'yes_no',
              text: '被保险人签了吗？',
              relevant: { '!==': [{ var: 'policy.insured_is_holder' }, true] },
            },
          ],
        },
      ],
    }
    const { sections } = answerSections(definition, { insured_signed: true }, ctx)
    expect(sections[0].rows[0]).toMatchObject({ notRelevant: true, answer: { text: '是' } })
  })
})

describe('shared card helpers', () => {
  it('knows which signers signed, in any form', () => {
    const signers = signersOf([
      { sha256: sha(1), kind: 'signature_png', signer: 'holder', complete: false },
      { sha256: sha(2), kind: 'signature_strokes', signer: 'specialist', complete: true },
      { sha256: sha(3), kind: 'photo', complete: true },
    ])
    expect([...signers].sort()).toEqual(['holder', 'specialist'])
    expect(signersOf(null).size).toBe(0)
  })

  it('finds a question’s text by id, filled from the facts', () => {
    const definition = {
      sections: [
        {
          id: 's1',
          questions: [{ id: 'photo_id', text: '请拍摄{holder_name}的证件', text_en: 'ID photo' }],
        },
      ],
    }
    expect(questionText(definition, 'photo_id', { holder_name: '张三' })).toBe('请拍摄张三的证件')
    expect(questionText(definition, 'photo_id', {}, 'en')).toBe('ID photo')
    expect(questionText(definition, 'missing', {})).toBe('')
    expect(questionText(null, 'photo_id')).toBe('')
  })

  it('names the review flags too, each explained in one sentence', () => {
    expect(flagText('quick_visit', zh)).toMatchObject({ label: '面访用时过短', tone: 'danger' })
    expect(flagText('late', zh)).toMatchObject({ label: '逾期完成', tone: 'warning' })
  })
})
