// A visit record from a finished visit draft: the same shape the server's JSON Schema accepts
// (sync/records.py), with the SHA-256 of its canonical form. The server re-validates everything;
// the checks here only keep an obviously broken record out of the outbox.
import { uuid4 } from '../../shared/auth.js'
import { recordHash, sha256Hex } from './hash.js'

export const OUTCOMES = ['completed', 'not_at_home', 'refused', 'wrong_address', 'postponed']
export const MEDIA_KINDS = ['signature_strokes', 'signature_png', 'photo']
export const MEDIA_MIMES = {
  signature_strokes: 'application/x-huifang-strokes',
  signature_png: 'image/png',
  photo: 'image/jpeg',
}
const ALLOWED_MIMES = new Set(Object.values(MEDIA_MIMES))
export const MAX_MEDIA_BYTES = 20 * 1024 * 1024
export const MAX_MEDIA_PER_VISIT = 60

export class RecordError extends Error {
  constructor(problems) {
    super(problems.map((p) => p.message_en).join('; '))
    this.name = 'RecordError'
    this.code = 'record_invalid'
    this.problems = problems
  }
}

const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, '0')

/** A device time as the schema wants it: local time with its offset, e.g. 2026-11-25T09:00:00+08:00. */
export function deviceTime(value = new Date()) {
  if (typeof value === 'string') return value
  const d = value instanceof Date ? value : new Date(value)
  const offset = -d.getTimezoneOffset()
  const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`
  )
}

function problem(code, message, messageEn, field = null) {
  return { code, message, message_en: messageEn, field }
}

function checkDraft(draft) {
  const problems = []
  if (!Number.isInteger(draft.task_id) || draft.task_id < 1)
    problems.push(problem('task_required', '缺少任务', 'The visit has no task', 'task_id'))
  if (!OUTCOMES.includes(draft.outcome))
    problems.push(problem('outcome_invalid', '走访结果无效', 'Unknown outcome', 'outcome'))
  if (draft.outcome === 'postponed' && !draft.postponed_to)
    problems.push(
      problem(
        'postponed_to_required',
        '改期需要填写新日期',
        'A postponed visit needs the new date',
        'postponed_to',
      ),
    )
  if (!draft.started_at || !draft.finished_at)
    problems.push(problem('times_required', '缺少开始或结束时间', 'Start or end time missing'))
  const media = draft.media ?? []
  if (media.length > MAX_MEDIA_PER_VISIT)
    problems.push(problem('media_too_many', '附件过多', 'Too many media files', 'media'))
  media.forEach((m, i) => {
    const at = `media/${i}`
    if (!MEDIA_KINDS.includes(m.kind))
      problems.push(problem('media_kind_invalid', '附件类型无效', 'Unknown media kind', at))
    const mime = m.mime ?? MEDIA_MIMES[m.kind]
    if (!ALLOWED_MIMES.has(mime))
      problems.push(problem('media_mime_invalid', '附件格式不支持', 'Unsupported media type', at))
    const size = m.blob?.size ?? 0
    if (size < 1 || size > MAX_MEDIA_BYTES)
      problems.push(
        problem('media_size_invalid', '附件为空或超过 20 MB', 'Media must be 1 byte to 20 MB', at),
      )
  })
  return problems
}

/**
 * The record of a finished visit, with its hash, and the media to keep beside it.
 *
 * @param {object} draft  {uuid?, task_id, questionnaire_version_id, started_at, finished_at,
 *   outcome, outcome_reason?, postponed_to?, place?, place_status?, answers, media: [{blob, kind,
 *   mime?, question_id?, signer?, taken_at?}]}; times may be Date objects or schema strings.
 * @param {object} [context]  {clockOffsetMs, appVersion}
 * @returns {Promise<{record, media: Array<{sha256, blob, size, mime}>}>}
 */
export async function buildRecord(draft, { clockOffsetMs = null, appVersion = null } = {}) {
  const problems = checkDraft(draft)
  if (problems.length) throw new RecordError(problems)
  const media = []
  const refs = []
  for (const m of draft.media ?? []) {
    const sha256 = await sha256Hex(m.blob)
    const mime = m.mime ?? MEDIA_MIMES[m.kind]
    const ref = { sha256, kind: m.kind, size: m.blob.size, mime }
    for (const key of ['question_id', 'signer']) if (m[key] != null) ref[key] = m[key]
    if (m.taken_at != null) ref.taken_at = deviceTime(m.taken_at)
    refs.push(ref)
    if (!media.some((x) => x.sha256 === sha256))
      media.push({ sha256, blob: m.blob, size: m.blob.size, mime })
  }
  if (new Set(refs.map((r) => r.sha256)).size !== refs.length)
    throw new RecordError([
      problem(
        'media_duplicated',
        '同一文件被重复引用',
        'The same media file is listed twice',
        'media',
      ),
    ])
  const record = {
    uuid: draft.uuid ?? uuid4(),
    task_id: draft.task_id,
    questionnaire_version_id: draft.questionnaire_version_id ?? null,
    started_at: deviceTime(draft.started_at),
    finished_at: deviceTime(draft.finished_at),
    clock_offset_ms: Number.isInteger(clockOffsetMs) ? clockOffsetMs : null,
    place: draft.place ? { ...draft.place, at: deviceTime(draft.place.at) } : null,
    place_status: draft.place_status ?? (draft.place ? 'ok' : null),
    outcome: draft.outcome,
    outcome_reason: draft.outcome_reason ?? null,
    postponed_to: draft.postponed_to ?? null,
    answers: draft.answers ?? {},
    media: refs,
    app_version: appVersion,
  }
  record.hash = await recordHash(record)
  return { record, media }
}
