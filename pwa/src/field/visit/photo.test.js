import { describe, expect, it } from 'vitest'
import { fitWithin, takenAt } from './photo.js'
import { placeStatusOf } from './geo.js'

describe('photo resizing', () => {
  it('brings the long side down to 1600 px, keeping proportions', () => {
    expect(fitWithin(4000, 3000)).toMatchObject({ width: 1600, height: 1200 })
    expect(fitWithin(3000, 4000)).toMatchObject({ width: 1200, height: 1600 })
    expect(fitWithin(4032, 1816)).toMatchObject({ width: 1600, height: 721 })
  })
  it('never enlarges a small photo', () => {
    expect(fitWithin(800, 600)).toMatchObject({ width: 800, height: 600, scale: 1 })
  })
  it('refuses an image without a size', () => {
    expect(() => fitWithin(0, 10)).toThrow()
  })
  it('keeps the time the photo was taken (the file time), else now', () => {
    expect(takenAt({ lastModified: 1764032400000 }).getTime()).toBe(1764032400000)
    const now = new Date(5)
    expect(takenAt({}, () => now)).toBe(now)
  })
})

describe('place status', () => {
  it('names why there is no position', () => {
    expect(placeStatusOf({ code: 1 })).toBe('denied')
    expect(placeStatusOf({ code: 2 })).toBe('unavailable')
    expect(placeStatusOf({ code: 3 })).toBe('timeout')
  })
})
