// Media: content-addressed by SHA-256, uploaded in chunks that the server accepts only at its own
// offset (sync/media.py). The client never trusts its own idea of how far it got: it asks, sends
// the rest, and after any lost answer asks again. The last chunk makes the server verify the hash.
import { ApiError } from '../../shared/api.js'
import { backoffDelay, createRetrier, isTransient, withTimeout } from './retry.js'

export const CHUNK_SIZE = 256 * 1024
const MAX_JUMPS = 8 // offset_mismatch answers in a row before asking the state afresh

export const mediaPath = (sha256) => `/sync/media/${sha256}`

/** The server's verdict on a blob (4xx other than offset_mismatch): shown, not retried. */
export class MediaProblem extends Error {
  constructor(sha256, { code, message, messageEn, status = 0, details = {} }) {
    super(message)
    this.name = 'MediaProblem'
    this.sha256 = sha256
    this.code = code
    this.messageEn = messageEn
    this.status = status
    this.details = details
  }

  toJSON() {
    return {
      sha256: this.sha256,
      code: this.code,
      message: this.message,
      message_en: this.messageEn,
    }
  }
}

function problemFrom(sha256, err) {
  return new MediaProblem(sha256, {
    code: err.code,
    message: err.message,
    messageEn: err.messageEn,
    status: err.status,
    details: err.details,
  })
}

/**
 * Upload one blob until the server holds it whole.
 *
 * @param {object} api   the shared API client (get, putBinary)
 * @param {{sha256: string, blob: Blob, size?: number}} item
 * @param {object} [options]  chunkSize, retrier (backoff settings, sleep, timeoutMs), onProgress
 *   ({sha256, offset, size}) after every answer that moves the offset
 * @returns the server's final media state ({state: 'complete', ...})
 * @throws MediaProblem on a 4xx verdict; the transient error when retries ran out
 */
export async function uploadMedia(api, item, options = {}) {
  const { chunkSize = CHUNK_SIZE, retrier = createRetrier(), onProgress } = options
  const { sha256, blob } = item
  const size = item.size ?? blob.size
  const opts = retrier.options
  const path = mediaPath(sha256)
  const report = (offset) => onProgress?.({ sha256, offset, size })
  let failures = 0
  let bestOffset = -1

  for (;;) {
    try {
      const state = await withTimeout(api.get(path), opts.timeoutMs)
      if (state.state === 'complete') {
        report(size)
        return state
      }
      if (state.total != null && state.total !== size)
        throw new MediaProblem(sha256, {
          code: 'total_changed',
          message: '服务器上该文件的长度与本机不一致',
          messageEn: `The server expects ${state.total} bytes, the device has ${size}`,
          details: state,
        })
      let offset = state.offset
      let jumps = 0
      report(offset)
      while (offset < size) {
        if (offset > bestOffset) {
          bestOffset = offset
          failures = 0 // progress made: a long upload on a flaky line is not given up on
        }
        let answer
        try {
          answer = await withTimeout(
            api.putBinary(path, blob.slice(offset, Math.min(offset + chunkSize, size)), {
              offset,
              total: size,
            }),
            opts.timeoutMs,
          )
        } catch (err) {
          const at = err?.details?.offset
          if (err?.code === 'offset_mismatch' && Number.isInteger(at) && jumps < MAX_JUMPS) {
            jumps += 1 // an earlier try got further (or less far): carry on where the server is
            offset = at
            report(offset)
            continue
          }
          throw err
        }
        jumps = 0
        offset = answer.offset
        report(offset)
        if (answer.state === 'complete') return answer
      }
      // The server holds every byte yet does not say complete: ask again.
      throw new ApiError({ status: 0, code: 'media_incomplete', message: 'upload not confirmed' })
    } catch (err) {
      if (err instanceof MediaProblem) throw err
      if (err instanceof ApiError && !isTransient(err)) {
        if (err.status === 401 || err.status === 403) throw err // the session, not the blob
        throw problemFrom(sha256, err)
      }
      if (!(err instanceof ApiError) || failures >= opts.retries) throw err
      await opts.sleep(backoffDelay(failures, opts))
      failures += 1
    }
  }
}

/**
 * Upload a blob kept in the outbox database, recording how far the server got and any problem on
 * its row. Returns true when complete; a MediaProblem is recorded and thrown.
 */
export async function uploadStoredMedia(api, db, sha256, options = {}) {
  const row = await db.media.get(sha256)
  const stored = row && (await db.blobs.get(sha256))
  if (!stored)
    throw new MediaProblem(sha256, {
      code: 'media_missing_on_device',
      message: '本机找不到该文件，无法上传',
      messageEn: 'The file is not on this device',
    })
  if (row.problem)
    throw new MediaProblem(sha256, { ...row.problem, messageEn: row.problem.message_en })
  let saved = row.uploadedOffset ?? 0
  try {
    await uploadMedia(
      api,
      { sha256, blob: stored.blob, size: row.size },
      {
        ...options,
        onProgress(progress) {
          options.onProgress?.(progress)
          if (progress.offset !== saved) {
            saved = progress.offset
            db.media.update(sha256, { uploadedOffset: progress.offset }).catch(() => {})
          }
        },
      },
    )
    await db.media.update(sha256, { uploadedOffset: row.size, complete: true, problem: null })
    return true
  } catch (err) {
    if (err instanceof MediaProblem) await db.media.update(sha256, { problem: err.toJSON() })
    throw err
  }
}
