// Photos resized on the device before they are kept: at most 1600 px on the long side, JPEG. A
// 12-megapixel camera photo (4–6 MB) becomes about 300 KB, which a weak mobile link can carry.
export const MAX_SIDE = 1600
export const JPEG_QUALITY = 0.85

/** The size to draw at: the long side at most `max`, proportions kept, never enlarged. */
export function fitWithin(width, height, max = MAX_SIDE) {
  if (!(width > 0 && height > 0)) throw new RangeError('an image needs a positive size')
  const scale = Math.min(1, max / Math.max(width, height))
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    scale,
  }
}

/**
 * When the photo was taken: the camera's file time (a photo just taken by the camera input is a
 * new file), else now. Kept as a Date.
 */
export function takenAt(file, now = () => new Date()) {
  const t = file?.lastModified
  return Number.isFinite(t) && t > 0 ? new Date(t) : now()
}

async function decode(file) {
  // createImageBitmap applies the EXIF orientation (imageOrientation 'from-image' is the default).
  if (typeof createImageBitmap === 'function') return createImageBitmap(file)
  const url = URL.createObjectURL(file)
  try {
    const img = new Image()
    img.src = url
    await img.decode()
    return img
  } finally {
    URL.revokeObjectURL(url)
  }
}

function toBlob(canvas, type, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the photo could not be encoded'))),
      type,
      quality,
    ),
  )
}

/**
 * A photo file (camera or gallery) as a JPEG of at most MAX_SIDE px, with its size and time.
 * @returns {Promise<{blob, width, height, takenAt: Date}>}
 */
export async function resizePhoto(file, { max = MAX_SIDE, quality = JPEG_QUALITY } = {}) {
  const image = await decode(file)
  const { width, height } = fitWithin(image.width, image.height, max)
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d')
  ctx.fillStyle = '#fff' // a PNG with transparency becomes white, not black, as JPEG
  ctx.fillRect(0, 0, width, height)
  ctx.imageSmoothingQuality = 'high'
  ctx.drawImage(image, 0, 0, width, height)
  image.close?.()
  const blob = await toBlob(canvas, 'image/jpeg', quality)
  return { blob, width, height, takenAt: takenAt(file) }
}
