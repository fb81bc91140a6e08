import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import en from '../../shared/locales/en.json'
import zhCN from '../../shared/locales/zh-CN.json'
import { PAGES, canOpen, visiblePages } from '../pages.js'
import {
  beijingDate,
  daysBetween,
  decisionBody,
  flagDetail,
  flagViews,
  formatDistance,
  queueFlags,
  queueQuery,
  reasonTexts,
  similarityView,
  waitingSpan,
} from './review.js'

function words(locale = 'zh-CN') {
  const i18n = createI18n({ legacy: false, locale, messages: { 'zh-CN': zhCN, en } })
  return { t: i18n.global.t, te: i18n.global.te, locale }
}
const zh = words()
const english = words('en')
const as = (...roles) => ({ hasRole: (role) => roles.includes(role) })

describe('review pages', () => {
  it('offers the queue to reviewers, supervisors and administrators only', () => {
    const has = (...roles) => visiblePages(as(...roles)).some((p) => p.name === 'review')
    for (const role of ['reviewer', 'supervisor', 'admin']) expect(has(role)).toBe(true)
    for (const role of ['specialist', 'phone_agent', 'compliance_officer', 'designer']) {
      expect(has(role)).toBe(false)
    }
    // One visit is reviewed from the queue, never from the navigation.
    expect(visiblePages(as('reviewer')).map((p) => p.name)).not.toContain('review-visit')
    const one = PAGES.find((p) => p.name === 'review-visit')
    expect(canOpen(one, as('reviewer'))).toBe(true)
    expect(canOpen(one, as('phone_agent'))).toBe(false)
  })
})

describe('queue', () => {
  it('asks for a page, then the next by cursor', () => {
    expect(queueQuery()).toEqual({ limit: 30 })
    expect(queueQuery('abc')).toEqual({ limit: 30, cursor: 'abc' })
  })

  it('says how long a visit has waited, coarsely', () => {
    const now = Date.parse('2026-11-28T12:00:00Z')
    expect(waitingSpan('2026-11-25T09:40:00Z', now)).toBe('3天2小时')
    expect(waitingSpan('2026-11-28T09:45:10Z', now)).toBe('2小时14分')
    expect(waitingSpan('2026-11-28T11:35:00Z', now)).toBe('25分钟')
    expect(waitingSpan('2026-11-25T09:40:00Z', now, 'en')).toBe('3 d 2 h')
    expect(waitingSpan(null, now)).toBe('')
    // Under a minute, or a clock ahead of ours: "just now", never a negative wait.
    expect(waitingSpan('2026-11-28T11:59:30Z', now)).toBe('')
    expect(waitingSpan('2026-11-28T12:05:00Z', now)).toBe('')
  })

  it('names the flags of a row in Chinese, heaviest first', () => {
    const tags = queueFlags(['late', 'quick_visit', 'identity_mismatch', 'zz_new'], zh)
    expect(tags.map((f) => f.label)).toEqual(['身份核对不符', '面访用时过短', '逾期完成', 'zz_new'])
    expect(tags.map((f) => f.tone)).toEqual(['danger', 'danger', 'warning', 'warning'])
  })
})

describe('flag details', () => {
  it('says how late, in Beijing days', () => {
    // 23:30 UTC on the 19th is the 20th in Beijing: two days after the 18th.
    const late = { due_date: '2026-12-18', finished_at: '2026-12-19T23:30:00Z' }
    expect(beijingDate(late.finished_at)).toBe('2026-12-20')
    expect(daysBetween('2026-12-18', '2026-12-20')).toBe(2)
    expect(flagDetail('late', late, zh)).toBe('到期日 2026-12-18，完成于 2026-12-20，逾期 2 天')
  })

  it('says how quick against the minimum, and how far from the address', () => {
    expect(flagDetail('quick_visit', { seconds: 300, minimum_seconds: 1200 }, zh)).toBe(
      '用时 5分钟，最少约需 20分钟（仅为最少时间的 25%）',
    )
    expect(flagDetail('quick_visit', { seconds: 300, minimum_seconds: 1200 }, english)).toBe(
      'took 5 min, needs at least 20 min (25% of it)',
    )
    expect(flagDetail('far_from_address', { metres: 3240, limit_metres: 2000 }, zh)).toBe(
      '距投保人地址约 3.2 公里，超过 2.0 公里',
    )
    expect(formatDistance(850, zh.t)).toBe('850 米')
    expect(formatDistance(15400, zh.t)).toBe('15 公里')
  })

  it('tells the hours, the alerts, the versions and the signature band', () => {
    expect(
      flagDetail('outside_working_hours', { started: '21:40', finished: '22:10' }, zh),
    ).toContain('21:40–22:10')
    expect(flagDetail('shared_phone_alert', { alert_ids: [3, 4] }, zh)).toBe('2 条未办结的风险预警')
    expect(flagDetail('conflict', { versions: 1 }, zh)).toBe('另收到 1 个不同版本')
    expect(flagDetail('signature_unusual', { signer: 'holder', band: 'very_unusual' }, zh)).toBe(
      '投保人签名：与以往签名差异明显',
    )
    expect(flagDetail('identity_mismatch', {}, zh)).toBe('')
    expect(flagDetail('late', {}, zh)).toBe('')
  })

  it('lists every flag, with the ones only the details carry', () => {
    const views = flagViews(
      ['late', 'identity_mismatch'],
      {
        late: { due_date: '2026-12-18', finished_at: '2026-12-19T02:00:00Z' },
        signature_unusual: { signer: 'holder', band: 'unusual' },
      },
      zh,
    )
    expect(views.map((v) => v.code)).toEqual(['identity_mismatch', 'signature_unusual', 'late'])
    expect(views[1]).toMatchObject({ label: '签名与以往不符', tone: 'danger' })
    expect(views[2].detail).toContain('逾期 1 天')
    for (const view of views) expect(view.explain).toMatch(/。$/)
  })

  it('names the similarity bands with a tone', () => {
    expect(similarityView({ band: 'typical', references: 3 }, zh)).toMatchObject({
      label: '与以往签名相近',
      tone: 'success',
      references: 3,
    })
    expect(similarityView({ band: 'very_unusual' }, zh).tone).toBe('danger')
    expect(similarityView(null, zh).label).toBe('无以往签名可比')
  })
})

describe('decision', () => {
  it('approves without reasons, and keeps a note', () => {
    expect(decisionBody('approve', ['other'], '  ')).toEqual({
      body: { decision: 'approve', reasons: [] },
    })
    expect(decisionBody('approve', [], ' 核实无误 ').body.note).toBe('核实无误')
  })

  it('needs a reason to return or reject, and a note with "other"', () => {
    expect(decisionBody('return', [], '')).toEqual({
      errors: { reasons: 'review.sheet.needReason' },
    })
    expect(decisionBody('reject', ['other'], '')).toEqual({
      errors: { note: 'review.sheet.needNote' },
    })
    expect(decisionBody('reject', ['signature_unclear', 'signature_unclear'], '')).toEqual({
      body: { decision: 'reject', reasons: ['signature_unclear'] },
    })
    expect(() => decisionBody('maybe', [], '')).toThrow()
  })

  it('shows reasons in the page language', () => {
    const reasons = [{ code: 'other', text: '其他（见说明）', text_en: 'Other (see the note)' }]
    expect(reasonTexts(reasons, 'zh-CN')).toEqual(['其他（见说明）'])
    expect(reasonTexts(reasons, 'en')).toEqual(['Other (see the note)'])
  })
})
