import { describe, expect, it } from 'vitest'
import { nextStatuses, riskQuery, updateBody } from './riskAlerts.js'

describe('risk alert actions', () => {
  it('moves an open alert to investigation or closes it; a closed one can be looked at again', () => {
    expect(nextStatuses('open')).toEqual(['investigating', 'resolved', 'dismissed'])
    expect(nextStatuses('investigating')).toEqual(['resolved', 'dismissed'])
    expect(nextStatuses('resolved')).toEqual(['investigating'])
    expect(nextStatuses('dismissed')).toEqual(['investigating'])
    expect(nextStatuses('whatever')).toEqual([])
  })

  it('needs the finding to resolve or dismiss, not to investigate', () => {
    expect(updateBody('resolved', '  ')).toEqual({ error: 'resolution_required' })
    expect(updateBody('dismissed', undefined)).toEqual({ error: 'resolution_required' })
    expect(updateBody('investigating', '')).toEqual({ body: { status: 'investigating' } })
    expect(updateBody('resolved', ' 已核实，系投保人家庭电话 ')).toEqual({
      body: { status: 'resolved', resolution: '已核实，系投保人家庭电话' },
    })
  })

  it('keeps a finding within the 500 characters the server accepts', () => {
    expect(updateBody('resolved', 'x'.repeat(600)).body.resolution).toHaveLength(500)
  })

  it('sends only the filters chosen', () => {
    expect(riskQuery({ status: '', kind: '' })).toEqual({ limit: 50 })
    expect(riskQuery({ status: 'open', kind: 'shared_phone' }, 42)).toEqual({
      limit: 50,
      status: 'open',
      kind: 'shared_phone',
      cursor: 42,
    })
  })
})
