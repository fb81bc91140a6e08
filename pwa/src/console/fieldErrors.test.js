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

  it('ignores other errors', () => {
    expect(
      fieldError({ code: 'username_taken', details: { fields: { username: ['x'] } } }, 'username'),
    ).toBe('')
  })
})
