// Finishing a visit: the draft becomes a visit record (sync client's buildRecord) with its media,
// goes into the outbox in one transaction, and only then is the draft deleted. A crash between the
// two leaves the draft; finishing it again gives the same record (same UUID, times and hash), which
// the outbox takes as the no-op it is.
import { buildRecord, enqueueVisit } from '../sync/index.js'
import { recordDraft } from './machine.js'

export class FinishError extends Error {
  constructor(code, message) {
    super(message)
    this.name = 'FinishError'
    this.code = code
  }
}

/**
 * @param {object} options  {draft (with finishedAt set), ctx, drafts (draft store), db (sync db),
 *   appVersion}
 * @returns {Promise<object>} the record
 */
export async function finishVisit({ draft, ctx, drafts, db, appVersion = null }) {
  if (!draft.finishedAt) throw new FinishError('not_finished', 'finishedAt is not set')
  const plan = recordDraft(draft, ctx)
  const media = []
  for (const { blobId, ...ref } of plan.media) {
    const blob = await drafts.getBlob(blobId)
    if (!blob) throw new FinishError('media_missing', `the bytes of ${ref.kind} are missing`)
    media.push({ ...ref, blob })
  }
  const { record, media: files } = await buildRecord(
    { ...plan, media },
    { clockOffsetMs: draft.clockOffsetMs, appVersion },
  )
  await enqueueVisit(db, record, files)
  await drafts.remove(draft.id)
  return record
}
