// What the outbox says: per visit where it stands and how much of its media is up, and the one
// line for the whole ("3 条待同步，1 条上传中 45%").
import { visitPhase } from '../sync/index.js'

/**
 * Upload progress of one visit from the media rows: bytes of its media on the server / all its
 * bytes. A visit the server has not answered yet counts 0; a submitted one 100.
 */
export function visitPercent(row, mediaBySha) {
  if (row.state === 'submitted') return 100
  if (row.state !== 'awaiting_media') return 0
  let sent = 0
  let total = 0
  for (const ref of row.record?.media ?? []) {
    const m = mediaBySha.get(ref.sha256)
    const size = ref.size
    total += size
    if (!m) continue
    sent +=
      m.complete || !(row.missing ?? []).includes(ref.sha256)
        ? size
        : Math.min(m.uploadedOffset ?? 0, size)
  }
  return total ? Math.floor((sent * 100) / total) : 100
}

/**
 * Each outbox row with {phase, uploading, percent}: phase is waiting | attention | submitted;
 * uploading is true for a waiting visit whose media the engine is sending now.
 */
export function describeVisits(rows, mediaRows, progress) {
  const mediaBySha = new Map((mediaRows ?? []).map((m) => [m.sha256, m]))
  const sending = Boolean(progress?.running && progress.phase === 'media')
  return (rows ?? []).map((row) => {
    const phase = visitPhase(row)
    const percent = visitPercent(row, mediaBySha)
    const uploading =
      sending && phase === 'waiting' && row.state === 'awaiting_media' && percent < 100
    return { row, phase, percent, uploading }
  })
}

/** Counts for the summary line. */
export function summarise(described) {
  const s = { waiting: 0, uploading: 0, attention: 0, submitted: 0, percent: null }
  let sent = 0
  let n = 0
  for (const v of described) {
    s[v.phase] += 1
    if (v.uploading) {
      s.uploading += 1
      sent += v.percent
      n += 1
    }
  }
  if (n) s.percent = Math.floor(sent / n)
  return s
}

/** The summary line in the page's language, through vue-i18n's t. */
export function summaryText(s, t) {
  const parts = []
  if (s.waiting) parts.push(t('field.outbox.waitingN', { n: s.waiting }))
  if (s.uploading)
    parts.push(t('field.outbox.uploadingN', { n: s.uploading, percent: s.percent ?? 0 }))
  if (s.attention) parts.push(t('field.outbox.attentionN', { n: s.attention }))
  if (!parts.length) return s.submitted ? t('field.outbox.allSynced') : t('field.outbox.empty')
  return parts.join(t('field.outbox.sep'))
}
