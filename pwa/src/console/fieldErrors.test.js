import { describe, expect, it } from 'vitest'
import { fieldError } from './fieldErrors.js'

describe('fieldError', () => {
  it('reads the field messages the server sends under details.fields', () => {
    const err = {
      code: 'validation_error',
      details: { fields: { username: ['太短', 'too short'] } },
    }
    expect(fieldError(err, 'username')).toBe('太短；too short')
    expect(fieldError(err, 'password')).toBe('')
  })

  it('shows the Chinese messages on a Chinese page and the English ones on an English page', () => {
    const err = {
      code: 'validation_error',
      details: {
        fields: { phone: ['Length must be between 5 and 20.'] },
        fields_zh: { phone: ['长度应为 5 到 20'] },
      },
    }
    expect(fieldError(err, 'phone', 'zh-CN')).toBe('长度应为 5 到 20')
    expect(fieldError(err, 'phone', 'en')).toBe('Length must be between 5 and 20.')
    document.documentElement.lang = 'zh-CN'
    expect(fieldError(err, 'phone')).toBe('长度应为 5 到 20')
    document.documentElement.lang = ''
  })

  it('ignores other errors', () => {
    expect(
      fieldError({ code: 'username_taken', details: { fields: { username: ['x'] } } }, 'username'),
    ).toBe('')
  })
})
