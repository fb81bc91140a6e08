// The stroke encoder against the shared vectors (tests/vectors/signatures/strokes.json): the same
// file pytest runs against signatures/strokes.py.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  decodeStrokes,
  decodeStrokesBytes,
  encodeStrokes,
  encodeStrokesBytes,
  fromSignaturePad,
  quantiseStrokes,
  roundHalfEven,
  validateStrokes,
} from './strokes.js'

const vectors = JSON.parse(
  readFileSync(
    resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../../../tests/vectors/signatures/strokes.json',
    ),
    'utf8',
  ),
)
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

describe('stroke encoding vectors', () => {
  for (const v of vectors.round_trips) {
    it(`round trip: ${v.name}`, () => {
      expect(hex(encodeStrokesBytes(v.signature))).toBe(v.bytes_hex)
      expect(encodeStrokes(v.signature)).toBe(v.encoded)
      expect(decodeStrokes(v.encoded)).toEqual(quantiseStrokes(v.signature))
      expect(encodeStrokes(decodeStrokes(v.encoded))).toBe(v.encoded)
    })
  }
  for (const v of vectors.quantise) {
    it(`quantise: ${v.name}`, () => {
      expect(encodeStrokes(v.input)).toBe(v.encoded)
      expect(decodeStrokes(v.encoded)).toEqual(v.decoded)
      expect(quantiseStrokes(v.input)).toEqual(v.decoded)
    })
  }
  for (const text of vectors.invalid_encodings) {
    it(`refuses the invalid encoding ${JSON.stringify(text)}`, () => {
      expect(() => decodeStrokes(text)).toThrow()
    })
  }
  it('refuses trailing bytes', () => {
    const bytes = encodeStrokesBytes(vectors.round_trips[1].signature)
    expect(() => decodeStrokesBytes(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/)
  })
})

describe('stroke validation vectors (the limits of validate_strokes)', () => {
  for (const v of vectors.validation) {
    it(v.name, () => {
      const problems = validateStrokes(v.signature)
      expect(problems.map((p) => p.code)).toEqual(v.codes)
      problems.forEach((p, i) => {
        for (const [key, value] of Object.entries(v.where[i] ?? {})) expect(p[key]).toBe(value)
      })
    })
  }
})

describe('rounding and signature_pad data', () => {
  it('rounds half to even, as Python does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 102.5, 102.51].map(roundHalfEven)).toEqual([
      0, 2, 2, 0, -2, 102, 103,
    ])
  })
  it('converts signature_pad groups, keeping time and pressure and the canvas edge', () => {
    const groups = [
      {
        points: [
          { x: -3, y: 10, time: 1764000000000, pressure: 0.5 },
          { x: 50.04, y: 250, time: 1764000000016.4, pressure: undefined },
        ],
      },
      { points: [] },
    ]
    expect(fromSignaturePad(groups, 300, 200, 2)).toEqual({
      width: 300,
      height: 200,
      pixel_ratio: 2,
      strokes: [
        [
          { x: 0, y: 10, t: 1764000000000, p: 0.5 },
          { x: 50.04, y: 200, t: 1764000000016, p: 0.5 },
        ],
      ],
    })
  })
})
