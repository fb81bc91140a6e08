import { describe, expect, it } from 'vitest'
import {
  CODE_PATTERN,
  LIST_QUERY,
  createBody,
  failedFields,
  formFrom,
  sortCategories,
  summary,
  updateBody,
  upsert,
} from './categories.js'

const seeded = {
  id: 3,
  code: 'proxy_signature',
  name: '代签名',
  name_en: 'Signed by someone else',
  description: null,
  reportable: false,
  active: true,
  sort_order: 30,
}

describe('problem categories', () => {
  it('lists inactive categories too', () => {
    expect(LIST_QUERY).toEqual({ include_inactive: true })
  })

  it('checks codes like the server', () => {
    expect(CODE_PATTERN.test('misleading_sale')).toBe(true)
    expect(CODE_PATTERN.test('a1')).toBe(true)
    for (const bad of ['a', '1abc', 'Bad_code', 'has space', '_x', 'a-b', 'x'.repeat(65)]) {
      expect(CODE_PATTERN.test(bad)).toBe(false)
    }
  })

  it('fills the form from a category, or empty', () => {
    expect(formFrom(null)).toEqual({
      code: '',
      name: '',
      name_en: '',
      description: '',
      reportable: false,
    })
    expect(formFrom(seeded)).toMatchObject({ code: 'proxy_signature', description: '' })
  })

  it('creates with trimmed fields and no empty description', () => {
    expect(
      createBody({
        code: ' fake_visit ',
        name: ' 虚假回访 ',
        name_en: 'Fake visit ',
        description: '  ',
        reportable: true,
      }),
    ).toEqual({ code: 'fake_visit', name: '虚假回访', name_en: 'Fake visit', reportable: true })
    expect(
      createBody({ code: 'x1', name: '甲', name_en: 'A', description: ' 说明 ' }).description,
    ).toBe('说明')
  })

  it('sends only what changed, a cleared description as null', () => {
    expect(updateBody(seeded, formFrom(seeded))).toEqual({})
    expect(updateBody(seeded, { ...formFrom(seeded), name: ' 他人代签名 ' })).toEqual({
      name: '他人代签名',
    })
    expect(updateBody(seeded, { ...formFrom(seeded), description: '签名非本人所签' })).toEqual({
      description: '签名非本人所签',
    })
    const described = { ...seeded, description: '旧说明' }
    expect(updateBody(described, { ...formFrom(described), description: ' ' })).toEqual({
      description: null,
    })
    expect(updateBody(seeded, { ...formFrom(seeded), reportable: true })).toEqual({
      reportable: true,
    })
    // The code is not editable: a changed code in the form is not sent.
    expect(updateBody(seeded, { ...formFrom(seeded), code: 'other_code' })).toEqual({})
  })

  it('reads the failed fields of a 422, nested under details.fields or not', () => {
    const err = (details, code = 'validation_error') => ({ code, details })
    expect(failedFields(err({ fields: { code: ['bad'], name: 'Missing' } }))).toEqual({
      code: ['bad'],
      name: ['Missing'],
    })
    expect(failedFields(err({ name_en: ['Too long'] }))).toEqual({ name_en: ['Too long'] })
    expect(failedFields(err({ fields: { code: ['x'] } }, 'problem_category_code_taken'))).toEqual(
      {},
    )
    expect(failedFields(null)).toEqual({})
  })

  it('keeps the server order when a category is added or changed', () => {
    const a = { id: 1, sort_order: 10, active: true }
    const b = { id: 2, sort_order: 100, active: true }
    const c = { id: 5, sort_order: 100, active: false }
    expect(sortCategories([c, b, a]).map((x) => x.id)).toEqual([1, 2, 5])
    const items = upsert([a, b], c)
    expect(items.map((x) => x.id)).toEqual([1, 2, 5])
    expect(upsert(items, { ...a, active: false })[0].active).toBe(false)
    expect(upsert(items, { ...a, active: false })).toHaveLength(3)
    expect(summary(items)).toEqual({ total: 3, active: 2, inactive: 1 })
  })
})
