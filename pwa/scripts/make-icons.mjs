// Draws the app icons (a white 回 on the theme blue) as PNG files with no image library,
// so they can be remade on a closed network: `node scripts/make-icons.mjs`.
// The files it writes are committed; the build does not run this script.
import { deflateSync } from 'node:zlib'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const BLUE = [25, 137, 250] // #1989fa, the theme colour (Vant's primary)
const WHITE = [255, 255, 255]

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(buf) {
  let c = 0xffffffff
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1)
    raw[row] = 0 // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5)
      raw.set([r, g, b, a], row + 1 + x * 4)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

// Coverage of a pixel by a shape, sampled 4×4 for smooth edges.
function coverage(inside, x, y) {
  let hits = 0
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) if (inside(x - 0.5 + (i + 0.5) / 4, y - 0.5 + (j + 0.5) / 4)) hits++
  return hits / 16
}

function roundedSquare(size, radius) {
  return (x, y) => {
    const cx = Math.min(Math.max(x, radius), size - radius)
    const cy = Math.min(Math.max(y, radius), size - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2
  }
}

// 回: two concentric square rings, drawn inside the central 60% so a maskable crop keeps it.
function hui(size) {
  const c = size / 2
  const stroke = size * 0.075
  const ring = (half) => (x, y) => {
    const d = Math.max(Math.abs(x - c), Math.abs(y - c))
    return d <= half && d >= half - stroke
  }
  const outer = ring(size * 0.3)
  const inner = ring(size * 0.14)
  return (x, y) => outer(x, y) || inner(x, y)
}

function icon(size, { maskable }) {
  const background = maskable ? () => true : roundedSquare(size, size * 0.18)
  const glyph = hui(size)
  return png(size, (x, y) => {
    const bg = coverage(background, x, y)
    const fg = coverage(glyph, x, y)
    const rgb = BLUE.map((b, i) => Math.round(b * (1 - fg) + WHITE[i] * fg))
    return [...rgb, Math.round(255 * bg)]
  })
}

const outputs = [
  ['public/app/icons/icon-192.png', 192, false],
  ['public/app/icons/icon-512.png', 512, false],
  ['public/app/icons/icon-maskable-512.png', 512, true],
  ['public/app/icons/apple-touch-icon-180.png', 180, true],
  ['public/console/favicon-64.png', 64, false],
]
for (const [path, size, maskable] of outputs) {
  const file = resolve(here, '..', path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, icon(size, { maskable }))
  console.log(`wrote ${path}`)
}
