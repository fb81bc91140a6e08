// What the field app uses of the sync client. See README.md beside this file.
export { openSyncDb, enqueueVisit, retryVisit, outboxCounts, visitPhase, getMeta } from './db.js'
export {
  buildRecord,
  deviceTime,
  RecordError,
  OUTCOMES,
  MEDIA_KINDS,
  MEDIA_MIMES,
} from './record.js'
export { createSyncEngine } from './engine.js'
export { useOutbox } from './useOutbox.js'
export { MediaProblem } from './media.js'
