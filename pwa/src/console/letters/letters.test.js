import { describe, expect, it, vi } from 'vitest'
import { SESSION_KEYS, memoryStorage } from '../../shared/auth.js'
import { PAGES, visiblePages } from '../pages.js'
import {
  MAX_SCAN_BYTES,
  actionsFor,
  decisionBody,
  formatSize,
  isoToLocal,
  letterPdfPath,
  letterQuery,
  localToIso,
  mailingBody,
  normaliseCode,
  scanPath,
  scanProblem,
  uploadFile,
} from './letters.js'

const as = (...roles) => ({ hasRole: (role) => roles.includes(role) })

describe('letters page', () => {
  it('is offered to the callback department, reviewers and compliance, not to the field', () => {
    const has = (...roles) => visiblePages(as(...roles)).some((p) => p.name === 'letters')
    for (const role of ['supervisor', 'reviewer', 'phone_agent', 'admin', 'compliance_officer']) {
      expect(has(role)).toBe(true)
    }
    expect(has('specialist')).toBe(false)
    expect(has('designer')).toBe(false)
    expect(PAGES.find((p) => p.name === 'letters').label).toBe('letters.nav')
  })
})

describe('letter actions', () => {
  it('offers the mailing while the letter is not back, to the callback department', () => {
    expect(actionsFor({ status: 'created' }, as('phone_agent'))).toEqual(['mailing'])
    expect(actionsFor({ status: 'mailed' }, as('supervisor'))).toEqual([
      'mailing',
      'scan',
      'cancel',
    ])
    expect(actionsFor({ status: 'created' }, as('reviewer'))).toEqual([])
  })

  it('lets reviewers decide returned letters only', () => {
    expect(actionsFor({ status: 'returned' }, as('reviewer'))).toEqual(['scan', 'decide'])
    expect(actionsFor({ status: 'returned' }, as('supervisor'))).toEqual(['scan', 'cancel'])
    expect(actionsFor({ status: 'mailed' }, as('reviewer'))).toEqual(['scan'])
  })

  it('offers nothing on a decided or cancelled letter, or to readers only', () => {
    for (const status of ['verified', 'rejected', 'cancelled']) {
      expect(actionsFor({ status }, as('admin'))).toEqual([])
    }
    expect(actionsFor({ status: 'returned' }, as('compliance_officer'))).toEqual([])
    expect(actionsFor(null, as('admin'))).toEqual([])
  })
})

describe('letter requests', () => {
  it('sends only the filters chosen', () => {
    expect(letterQuery({ status: '', q: '  ' })).toEqual({ limit: 50 })
    expect(letterQuery({ status: 'mailed', q: ' HF0001Y ' }, 7)).toEqual({
      limit: 50,
      status: 'mailed',
      q: 'HF0001Y',
      cursor: 7,
    })
  })

  it('reads a code the way people type it, and refuses what cannot be one', () => {
    expect(normaliseCode(' hf00-01y ')).toBe('HF0001Y')
    expect(normaliseCode('HF 0001 Y')).toBe('HF0001Y')
    expect(normaliseCode('HF01')).toBeNull()
    expect(normaliseCode('P00000001')).toBeNull()
    expect(normaliseCode(null)).toBeNull()
  })

  it('turns a local time into an ISO time and back', () => {
    const local = isoToLocal(new Date(2026, 10, 25, 9, 5))
    expect(local).toBe('2026-11-25T09:05')
    expect(new Date(localToIso(local)).getTime()).toBe(new Date(2026, 10, 25, 9, 5).getTime())
    expect(localToIso('')).toBeNull()
    expect(localToIso('not a time')).toBeNull()
  })

  it('builds the mailing and names what is missing', () => {
    const form = { mailedAt: '2026-11-25T09:00', carrier: ' EMS ', trackingNo: '', address: '' }
    const { body } = mailingBody(form, { address: '济南市' })
    expect(body).toEqual({ mailed_at: localToIso('2026-11-25T09:00'), carrier: 'EMS' })
    expect(mailingBody({ ...form, mailedAt: '' }, {})).toEqual({ error: 'mailed_at' })
    expect(mailingBody({ ...form, carrier: ' ' }, {})).toEqual({ error: 'carrier' })
    // A policy without an address: the address the letter went to is needed.
    expect(mailingBody(form, { address: null })).toEqual({ error: 'address' })
    const withAddress = mailingBody({ ...form, address: ' 历下区 1 号 ', trackingNo: 'EA1CN' }, {})
    expect(withAddress.body).toMatchObject({ address: '历下区 1 号', tracking_no: 'EA1CN' })
  })

  it('needs reasons to reject, and a note with "other"', () => {
    expect(decisionBody('verify', ['other'], '')).toEqual({ body: { decision: 'verify' } })
    expect(decisionBody('verify', [], ' 签名清晰 ')).toEqual({
      body: { decision: 'verify', note: '签名清晰' },
    })
    expect(decisionBody('reject', [], 'x')).toEqual({ error: 'reasons_required' })
    expect(decisionBody('reject', ['other'], ' ')).toEqual({ error: 'note_required' })
    expect(decisionBody('reject', ['other', 'holder_signature_missing', 'bogus'], '缺页')).toEqual({
      body: { decision: 'reject', reasons: ['holder_signature_missing', 'other'], note: '缺页' },
    })
  })

  it('checks the size of a scan before sending it; the server judges the content', () => {
    expect(scanProblem(null)).toBe('scan_missing')
    expect(scanProblem({ size: 0 })).toBe('scan_empty')
    expect(scanProblem({ size: MAX_SCAN_BYTES + 1 })).toBe('scan_too_large')
    expect(scanProblem({ size: MAX_SCAN_BYTES })).toBeNull()
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(2048)).toBe('2.0 KB')
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MB')
  })

  it('names the letter and scan paths', () => {
    expect(letterPdfPath(3)).toBe('/letters/3/letter.pdf')
    expect(scanPath(3)).toBe('/letters/3/scan')
  })
})

describe('scan upload', () => {
  function storageWith(access) {
    const storage = memoryStorage()
    storage.setItem(
      SESSION_KEYS.console,
      JSON.stringify({ access_token: access, refresh_token: 'r' }),
    )
    return storage
  }

  it('posts the file as multipart field "file" with the token, refreshing once on 401', async () => {
    const storage = storageWith('old')
    const session = {
      api: {
        refresh: vi.fn(async () => {
          storage.setItem(
            SESSION_KEYS.console,
            JSON.stringify({ access_token: 'new', refresh_token: 'r' }),
          )
        }),
      },
    }
    const sent = []
    const fetchImpl = vi.fn(async (url, init) => {
      sent.push({ url, auth: init.headers.Authorization, body: init.body, method: init.method })
      return init.headers.Authorization === 'Bearer new'
        ? new Response(JSON.stringify({ id: 3, status: 'returned' }), { status: 200 })
        : new Response(JSON.stringify({ code: 'token_expired' }), { status: 401 })
    })
    const file = new File([new Uint8Array([37, 80, 68, 70])], 'scan.pdf', {
      type: 'application/pdf',
    })
    const view = await uploadFile(session, '/letters/3/scan', file, { fetchImpl, storage })
    expect(view).toEqual({ id: 3, status: 'returned' })
    expect(sent.map((s) => s.auth)).toEqual(['Bearer old', 'Bearer new'])
    expect(sent[0].url).toBe('/api/v1/letters/3/scan')
    expect(sent[0].method).toBe('POST')
    expect(sent[1].body.get('file').name).toBe('scan.pdf')
  })

  it('turns a refusal into the server’s error', async () => {
    const fetchImpl = async () =>
      new Response(
        JSON.stringify({
          code: 'scan_type_unsupported',
          message: '只接受 PDF、JPEG 或 PNG 格式的扫描件',
          message_en: 'Only PDF, JPEG or PNG scans are accepted',
        }),
        { status: 422 },
      )
    const file = new File(['hello'], 'scan.pdf')
    await expect(
      uploadFile({ api: {} }, '/letters/3/scan', file, { fetchImpl, storage: storageWith('a') }),
    ).rejects.toMatchObject({ code: 'scan_type_unsupported', status: 422 })
  })
})
