// A small server in JavaScript that follows the sync contract of server/sync/ (push, pull, media
// with the chunk rules of sync/media.py), answering the shared API client's fetch. Tests only.
// Middleware (`use`) injects faults: lose a request, lose an answer, cut a chunk, answer 5xx.
import { createHash } from 'node:crypto'
import { canonicalString } from '../canonical.js'
import { apiError, response } from '../../../test/http.js'

const SHA256 = /^[0-9a-f]{64}$/
export const sha256Of = (bytes) => createHash('sha256').update(bytes).digest('hex')

export function lostRequest() {
  return new TypeError('Failed to fetch')
}

async function bytesOf(body) {
  if (body == null) return new Uint8Array()
  if (body instanceof Uint8Array) return body
  if (typeof body.arrayBuffer === 'function') return new Uint8Array(await body.arrayBuffer())
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  return new TextEncoder().encode(String(body))
}

function isoMicro(ms) {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1456+00:00')
}

export function createFakeSyncServer({
  maxMedia = 20 * 1024 * 1024,
  clock = () => Date.now(),
} = {}) {
  const visits = new Map() // uuid -> {hash, record, state}
  const conflicts = [] // {uuid, hash}
  const blobs = new Map() // sha -> {total, bytes, offset, complete}
  const changes = [] // {seq, kind, id, data}
  const log = [] // every request that reached the server's handlers
  const sent = [] // every request the client made, lost or not
  const middleware = []
  const knownTasks = new Set()
  let seq = 0

  const mediaView = (sha) => {
    const b = blobs.get(sha)
    if (!b) return { sha256: sha, state: 'missing', offset: 0, total: null }
    return {
      sha256: sha,
      state: b.complete ? 'complete' : 'partial',
      offset: b.offset,
      total: b.total,
    }
  }
  const refused = (status, code, en, sha) => {
    const v = mediaView(sha)
    return apiError(status, code, `中文：${en}`, en, {
      offset: v.offset,
      total: v.total,
      state: v.state,
    })
  }
  const missingOf = (record) =>
    record.media.map((m) => m.sha256).filter((sha) => !blobs.get(sha)?.complete)

  function pushOne(record) {
    const uuid = typeof record?.uuid === 'string' ? record.uuid : null
    const problems = []
    if (!uuid || !Array.isArray(record.media) || typeof record.hash !== 'string')
      problems.push({
        code: 'record_invalid',
        message: '记录格式不正确',
        message_en: 'Invalid',
        field: null,
      })
    else if (sha256Of(canonicalString(record)) !== record.hash)
      problems.push({
        code: 'hash_mismatch',
        message: '校验值不符',
        message_en: 'Hash',
        field: 'hash',
      })
    else if (knownTasks.size && !knownTasks.has(record.task_id))
      problems.push({
        code: 'task_unknown',
        message: '任务不存在',
        message_en: 'No such task',
        field: 'task_id',
      })
    if (problems.length) return { uuid, status: 'rejected', problems }
    const stored = visits.get(uuid)
    if (stored && stored.hash !== record.hash) {
      if (!conflicts.some((c) => c.uuid === uuid && c.hash === record.hash))
        conflicts.push({ uuid, hash: record.hash, record })
      return { uuid, status: 'conflict', problems: [] }
    }
    let status = 'duplicate'
    if (!stored) {
      status = 'accepted'
      visits.set(uuid, { hash: record.hash, record, state: 'awaiting_media' })
    }
    const visit = visits.get(uuid)
    const missing = missingOf(record)
    if (!missing.length) visit.state = 'submitted'
    return { uuid, status, problems: [], missing_media: missing, state: visit.state }
  }

  const handlers = {
    'GET /api/v1/sync/pull': (req) => {
      const cursor = Number(req.query.cursor ?? 0)
      const limit = Number(req.query.limit ?? 200)
      const rows = changes.filter((c) => c.seq > cursor).slice(0, limit + 1)
      const more = rows.length > limit
      const page = rows.slice(0, limit)
      return response(200, {
        changes: page,
        next_cursor: page.length ? page[page.length - 1].seq : cursor,
        more,
        server_time: isoMicro(clock()),
      })
    },
    'POST /api/v1/sync/push': (req) => {
      const list = JSON.parse(req.body).visits
      if (!Array.isArray(list) || list.length < 1 || list.length > 100)
        return apiError(422, 'validation_error', '请求格式不正确', 'Invalid request')
      return response(200, { results: list.map(pushOne), server_time: isoMicro(clock()) })
    },
    'GET /api/v1/sync/media': (req) => response(200, mediaView(req.sha)),
    'PUT /api/v1/sync/media': (req) => {
      const { sha } = req
      const offset = Number(req.query.offset)
      const total = Number(req.query.total)
      const data = req.bytes
      if (!SHA256.test(sha))
        return refused(422, 'media_name_invalid', 'Media are named by SHA-256', sha)
      const blob = blobs.get(sha)
      if (blob?.complete) return response(200, mediaView(sha))
      if (!(total > 0 && total <= maxMedia))
        return refused(413, 'media_too_large', 'Too large', sha)
      if (blob && blob.total !== total) return refused(409, 'total_changed', 'Total changed', sha)
      if (offset !== (blob?.offset ?? 0))
        return refused(409, 'offset_mismatch', "Resume from the server's offset", sha)
      if (!data.length) return refused(422, 'chunk_empty', 'The chunk is empty', sha)
      if (offset + data.length > total)
        return refused(422, 'chunk_past_end', 'The chunk goes past the declared total', sha)
      const b = blob ?? { total, bytes: new Uint8Array(total), offset: 0, complete: false }
      blobs.set(sha, b)
      b.bytes.set(data, offset)
      b.offset = offset + data.length
      if (b.offset === b.total) {
        if (sha256Of(b.bytes) !== sha) {
          blobs.delete(sha)
          return apiError(422, 'hash_mismatch', '文件内容与其 SHA-256 不符', 'Bytes do not match', {
            offset: 0,
            total: null,
            state: 'missing',
          })
        }
        b.complete = true
        for (const visit of visits.values())
          if (visit.state === 'awaiting_media' && !missingOf(visit.record).length)
            visit.state = 'submitted'
      }
      return response(200, mediaView(sha))
    },
  }

  async function handle(req) {
    const key = `${req.method} ${req.route}`
    const handler = handlers[key]
    const res = handler ? handler(req) : apiError(404, 'not_found', '未找到', 'Not found')
    log.push({ method: req.method, route: req.route, query: req.query, status: res.status })
    return res
  }

  async function fetch(url, init = {}) {
    const u = new URL(url, 'http://tablet.test')
    const match = u.pathname.match(/^(\/api\/v1\/sync\/media)\/([^/]+)$/)
    const req = {
      method: init.method ?? 'GET',
      path: u.pathname,
      route: match ? match[1] : u.pathname,
      sha: match ? match[2] : null,
      query: Object.fromEntries(u.searchParams),
      headers: init.headers ?? {},
      body: typeof init.body === 'string' ? init.body : null,
      bytes: typeof init.body === 'string' ? null : await bytesOf(init.body),
    }
    // Middleware in order of `use`, then the handler.
    sent.push({ method: req.method, route: req.route, query: req.query })
    const run = async (i) =>
      i < middleware.length ? middleware[i](req, () => run(i + 1)) : handle(req)
    return run(0)
  }

  return {
    fetch,
    log,
    sent,
    visits,
    conflicts,
    blobs,
    knownTasks,
    /** Add a middleware (req, next) => response; throw to lose the request or its answer. */
    use(fn) {
      middleware.push(fn)
      return () => middleware.splice(middleware.indexOf(fn), 1)
    },
    addChange(kind, id, data = null) {
      seq += 1
      changes.push({ seq, kind, id, data })
      return seq
    },
    /** Requests the client sent to a route, e.g. count('POST', '/push'). */
    count: (method, route) =>
      sent.filter((r) => r.method === method && r.route === `/api/v1/sync${route}`).length,
  }
}
