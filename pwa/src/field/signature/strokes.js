// The stroke format of a handwritten signature, its validation and its compact encoding: the
// JavaScript twin of signatures/strokes.py. Both must give exactly the bytes of
// tests/vectors/signatures/strokes.json, so the server decodes what the tablet drew.
//
// A signature: {width, height, pixel_ratio, strokes: [[{x, y, t, p}, …], …]} with x, y, width and
// height in CSS px, t in integer ms and p the pressure 0–1. Fixed precision: 0.1 px, 1 ms, 0.001,
// pixel_ratio 0.01. Encoding v1: 0x01, uvarint(width*10), uvarint(height*10),
// uvarint(pixel_ratio*100), uvarint(stroke count), per stroke uvarint(point count), then per point
// zigzag varints of the deltas of (x*10, y*10, t, p*1000). Varints are LEB128. Epoch times need 41
// bits: all arithmetic here is on Numbers (exact to 2^53), never 32-bit shifts.

export const FORMAT_VERSION = 1
export const STROKES_MIME = 'application/x-huifang-strokes'
const XY_SCALE = 10
const P_SCALE = 1000
const PR_SCALE = 100

/** The same limits as signatures/strokes.py LIMITS (CSS px and ms). */
export const LIMITS = Object.freeze({
  min_ink_length: 40.0,
  min_box_side: 20.0,
  max_speed: 10.0,
  speed_window_ms: 10.0,
  max_points: 50_000,
  max_strokes: 500,
})

/**
 * Python's round(): to the nearest integer, ties to even. Math.round sends 102.5 to 103 where
 * Python gives 102, and the bytes would differ from the server's.
 */
export function roundHalfEven(value) {
  const floor = Math.floor(value)
  const diff = value - floor
  if (diff > 0.5) return floor + 1
  if (diff < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

const q = (value, scale) => roundHalfEven(value * scale)

/** The signature at the format's precision (what a decode gives back). */
export function quantiseStrokes(signature) {
  return {
    width: q(signature.width, XY_SCALE) / XY_SCALE,
    height: q(signature.height, XY_SCALE) / XY_SCALE,
    pixel_ratio: q(signature.pixel_ratio, PR_SCALE) / PR_SCALE,
    strokes: signature.strokes.map((stroke) =>
      stroke.map((pt) => ({
        x: q(pt.x, XY_SCALE) / XY_SCALE,
        y: q(pt.y, XY_SCALE) / XY_SCALE,
        t: roundHalfEven(pt.t),
        p: q(pt.p, P_SCALE) / P_SCALE,
      })),
    ),
  }
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v))

/**
 * signature_pad's toData() (groups of {points: [{x, y, pressure, time}]}) in this format. A pointer
 * that strays past the canvas edge while the pen is down is kept on the edge (the format refuses
 * points outside the canvas); a missing pressure is 0.5, as the format says.
 */
export function fromSignaturePad(groups, width, height, pixelRatio) {
  return {
    width,
    height,
    pixel_ratio: pixelRatio,
    strokes: groups
      .map((group) =>
        group.points.map((pt) => ({
          x: clamp(pt.x, 0, width),
          y: clamp(pt.y, 0, height),
          t: Math.round(pt.time),
          p: Number.isFinite(pt.pressure) ? clamp(pt.pressure, 0, 1) : 0.5,
        })),
      )
      .filter((stroke) => stroke.length),
  }
}

// --- validation --------------------------------------------------------------------------------

function problem(code, zh, en, where = {}) {
  return { part: 'strokes', code, message_zh: zh, message_en: en, ...where }
}

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v)

function shapeProblems(signature, lim) {
  if (!signature || typeof signature !== 'object' || Array.isArray(signature))
    return [problem('strokes.malformed', '签名数据格式错误', 'Signature data is not an object')]
  for (const key of ['width', 'height', 'pixel_ratio']) {
    if (!isNumber(signature[key]) || signature[key] <= 0)
      return [
        problem(
          'strokes.canvas_invalid',
          `画布参数 ${key} 缺失或不是正数`,
          `Canvas field ${key} is missing or not a positive number`,
          { field: key },
        ),
      ]
  }
  const strokes = signature.strokes
  if (!Array.isArray(strokes))
    return [problem('strokes.malformed', '缺少笔画列表', 'The strokes list is missing')]
  if (strokes.length > lim.max_strokes)
    return [
      problem(
        'strokes.too_many',
        `笔画过多（${strokes.length} 笔）`,
        `Too many strokes (${strokes.length})`,
      ),
    ]
  let total = 0
  for (const [i, stroke] of strokes.entries()) {
    if (!Array.isArray(stroke))
      return [
        problem('strokes.malformed', `第 ${i + 1} 笔格式错误`, `Stroke ${i} is not a list`, {
          stroke: i,
        }),
      ]
    total += stroke.length
    for (const [j, pt] of stroke.entries()) {
      if (!pt || typeof pt !== 'object' || !['x', 'y', 't', 'p'].every((k) => isNumber(pt[k])))
        return [
          problem(
            'strokes.malformed',
            `第 ${i + 1} 笔第 ${j + 1} 点缺少 x、y、t 或 p`,
            `Stroke ${i} point ${j} lacks a numeric x, y, t or p`,
            { stroke: i, point: j },
          ),
        ]
    }
  }
  if (total > lim.max_points)
    return [problem('strokes.too_many', `采样点过多（${total} 点）`, `Too many points (${total})`)]
  return []
}

/**
 * Whether captured strokes can stand as a signature, by the rules of validate_strokes in
 * signatures/strokes.py: [] means valid. The tablet refuses what the server would refuse, before
 * the customer has left.
 */
export function validateStrokes(signature, limits = {}) {
  const lim = { ...LIMITS, ...limits }
  const shape = shapeProblems(signature, lim)
  if (shape.length) return shape
  const strokes = signature.strokes
  if (!strokes.some((s) => s.length))
    return [problem('strokes.empty', '签名为空', 'The signature is empty')]
  const { width: w, height: h } = signature
  let prevT = null
  let ink = 0
  let minX = Infinity
  let maxX = -Infinity
  let minY = Infinity
  let maxY = -Infinity
  for (const [i, stroke] of strokes.entries()) {
    let winD = 0
    let winT = 0
    for (const [j, pt] of stroke.entries()) {
      const { x, y, t, p } = pt
      if (!(x >= 0 && x <= w && y >= 0 && y <= h))
        return [
          problem(
            'strokes.outside_canvas',
            `第 ${i + 1} 笔第 ${j + 1} 点在画布之外`,
            `Stroke ${i} point ${j} lies outside the canvas`,
            { stroke: i, point: j },
          ),
        ]
      if (!(p >= 0 && p <= 1))
        return [
          problem(
            'strokes.pressure_out_of_range',
            `第 ${i + 1} 笔第 ${j + 1} 点压力不在 0–1 之间`,
            `Stroke ${i} point ${j} has a pressure outside 0–1`,
            { stroke: i, point: j },
          ),
        ]
      if (prevT !== null && t < prevT)
        return [
          problem(
            'strokes.time_not_monotonic',
            `第 ${i + 1} 笔第 ${j + 1} 点的时间早于前一点`,
            `Stroke ${i} point ${j} is earlier than the point before it`,
            { stroke: i, point: j },
          ),
        ]
      if (j > 0) {
        const prev = stroke[j - 1]
        const d = Math.hypot(x - prev.x, y - prev.y)
        ink += d
        winD += d
        winT += t - prevT
        if (winT >= lim.speed_window_ms || j === stroke.length - 1) {
          // Short windows count as lasting speed_window_ms: coalesced pointer events share a ms.
          const speed = winD / Math.max(winT, lim.speed_window_ms)
          if (speed > lim.max_speed)
            return [
              problem(
                'strokes.too_fast',
                `第 ${i + 1} 笔在第 ${j + 1} 点附近速度为 ${speed.toFixed(1)} 像素/毫秒，超出手写的可能`,
                `Stroke ${i} near point ${j} moves at ${speed.toFixed(1)} px/ms, faster than a hand can`,
                { stroke: i, point: j, speed: Math.round(speed * 100) / 100 },
              ),
            ]
          winD = 0
          winT = 0
        }
      }
      prevT = t
      minX = Math.min(minX, x)
      maxX = Math.max(maxX, x)
      minY = Math.min(minY, y)
      maxY = Math.max(maxY, y)
    }
  }
  const box = Math.max(maxX - minX, maxY - minY)
  if (ink < lim.min_ink_length || box < lim.min_box_side)
    return [
      problem(
        'strokes.dot_like',
        '签名过短或过小，像一个点或一笔划过，请重新签名',
        'The signature is too short or too small (a dot or a slip); please sign again',
        { ink_length: Math.round(ink * 10) / 10, box_side: Math.round(box * 10) / 10 },
      ),
    ]
  return []
}

// --- compact encoding --------------------------------------------------------------------------

function uvarint(out, value) {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`uvarint of ${value}: not a non-negative safe integer`)
  let v = value
  for (;;) {
    const byte = v % 128
    v = Math.floor(v / 128)
    if (v) out.push(byte + 128)
    else {
      out.push(byte)
      return
    }
  }
}

const zigzag = (v) => (v >= 0 ? v * 2 : -v * 2 - 1)
const unzigzag = (v) => (v % 2 === 0 ? v / 2 : -(v + 1) / 2)

/** The binary encoding as a Uint8Array. */
export function encodeStrokesBytes(signature) {
  const out = [FORMAT_VERSION]
  uvarint(out, q(signature.width, XY_SCALE))
  uvarint(out, q(signature.height, XY_SCALE))
  uvarint(out, q(signature.pixel_ratio, PR_SCALE))
  uvarint(out, signature.strokes.length)
  let px = 0
  let py = 0
  let pt = 0
  let pp = 0
  for (const stroke of signature.strokes) {
    uvarint(out, stroke.length)
    for (const point of stroke) {
      const x = q(point.x, XY_SCALE)
      const y = q(point.y, XY_SCALE)
      const t = roundHalfEven(point.t)
      const p = q(point.p, P_SCALE)
      uvarint(out, zigzag(x - px))
      uvarint(out, zigzag(y - py))
      uvarint(out, zigzag(t - pt))
      uvarint(out, zigzag(p - pp))
      px = x
      py = y
      pt = t
      pp = p
    }
  }
  return Uint8Array.from(out)
}

/** Back from the bytes; throws on anything that is not a whole valid encoding. */
export function decodeStrokesBytes(bytes) {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  if (!data.length || data[0] !== FORMAT_VERSION) throw new Error('unknown stroke encoding version')
  let pos = 1
  const read = () => {
    let result = 0
    let mult = 1
    for (;;) {
      if (pos >= data.length) throw new Error('truncated stroke encoding')
      const byte = data[pos]
      pos += 1
      result += (byte & 0x7f) * mult
      if (!(byte & 0x80)) return result
      mult *= 128
      if (mult > 2 ** 63) throw new Error('varint too long in stroke encoding')
    }
  }
  const width = read()
  const height = read()
  const ratio = read()
  const strokes = []
  let x = 0
  let y = 0
  let t = 0
  let p = 0
  const count = read()
  for (let s = 0; s < count; s += 1) {
    const stroke = []
    const n = read()
    for (let i = 0; i < n; i += 1) {
      x += unzigzag(read())
      y += unzigzag(read())
      t += unzigzag(read())
      p += unzigzag(read())
      stroke.push({ x: x / XY_SCALE, y: y / XY_SCALE, t, p: p / P_SCALE })
    }
    strokes.push(stroke)
  }
  if (pos !== data.length) throw new Error('trailing bytes after stroke encoding')
  return {
    width: width / XY_SCALE,
    height: height / XY_SCALE,
    pixel_ratio: ratio / PR_SCALE,
    strokes,
  }
}

function toBase64Url(bytes) {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function fromBase64Url(text) {
  if (typeof text !== 'string' || /[^A-Za-z0-9_-]/.test(text))
    throw new Error('stroke encoding is not base64url')
  const padded =
    text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4)
  const binary = atob(padded)
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/** Compact text: the binary encoding in base64url without padding. */
export function encodeStrokes(signature) {
  return toBase64Url(encodeStrokesBytes(signature))
}

export function decodeStrokes(text) {
  return decodeStrokesBytes(fromBase64Url(text))
}
