import { describe, expect, it, vi } from 'vitest'
import { BackendError, toBackendError } from '../src/backend/errors'
import { parseEvent } from '../src/backend/parse'
import { EVENT_CHANNEL, TauriBackend, type InvokeFn, type ListenFn } from '../src/backend/tauri'
import type { BackendEvent } from '../src/backend/types'
import { makeApplicantCard, makeCase } from './applicationFixtures'
import { makeStatus, makeTicket, makeUnsynced } from './helpers'

describe('Tauri transport', () => {
  it('invokes the commands with their arguments', async () => {
    const status = makeStatus()
    const ticket = makeTicket()
    const invoke = vi.fn<InvokeFn>(async (cmd) => {
      if (cmd === 'status') return status
      if (cmd === 'issue_ticket') return ticket
      if (cmd === 'list_tickets') return [ticket]
      if (cmd === 'unsynced_records') return unsynced
      throw new Error(`unexpected ${cmd}`)
    })
    const unsynced = { total: 1, records: [makeUnsynced()] }
    const backend = new TauriBackend({ invoke, listen: vi.fn() })
    await expect(backend.status()).resolves.toEqual(status)
    await expect(backend.issueTicket('A')).resolves.toEqual(ticket)
    await expect(backend.listTickets()).resolves.toEqual([ticket])
    await expect(backend.unsyncedRecords()).resolves.toEqual(unsynced)
    expect(invoke.mock.calls).toEqual([
      ['status', undefined],
      ['issue_ticket', { category: 'A', identity: null, priority: null }],
      ['list_tickets', { token: null }],
      ['unsynced_records', { token: null }],
    ])
  })

  it('rejects with the {code, message} the command rejected with', async () => {
    const backend = new TauriBackend({
      invoke: async () => {
        throw { code: 'queue.unknown_category', message: 'no category Z' }
      },
      listen: vi.fn(),
    })
    const err = await backend.issueTicket('Z').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect(err).toMatchObject({ code: 'queue.unknown_category', message: 'no category Z' })
  })

  it('listens on banshi://event once and parses payloads', async () => {
    let deliver: ((e: { payload: unknown }) => void) | null = null
    const unlisten = vi.fn()
    const listen = vi.fn<ListenFn>(async (_name, handler) => {
      deliver = handler
      return unlisten
    })
    const backend = new TauriBackend({ invoke: vi.fn(), listen })
    const a: BackendEvent[] = []
    const b: BackendEvent[] = []
    backend.subscribe((e) => a.push(e))
    backend.subscribe((e) => b.push(e))
    expect(listen).toHaveBeenCalledTimes(1)
    expect(listen.mock.calls[0]![0]).toBe(EVENT_CHANNEL)
    expect(backend.connectionState()).toBe('open')
    deliver!({ payload: { type: 'tickets.changed' } })
    deliver!({ payload: '{"type":"status.changed"}' })
    deliver!({ payload: { type: 'bogus' } })
    expect(a).toEqual([{ type: 'tickets.changed' }, { type: 'status.changed' }])
    expect(b).toEqual(a)
    backend.close()
    await Promise.resolve()
    await Promise.resolve()
    expect(unlisten).toHaveBeenCalled()
  })
})

describe('Tauri transport: intake and field commands', () => {
  it('invokes the new commands with camelCase arguments and the staff token', async () => {
    const card = makeApplicantCard()
    const invoke = vi.fn<InvokeFn>(async (cmd) => {
      if (cmd === 'login') return { ...session }
      if (cmd === 'case_read_card') return card
      if (cmd === 'case_rate') return { case_number: 'N', grade: 'dissatisfied', submitted_at_ms: 1 }
      if (cmd === 'case_rate_evaluator') return { grade: 'dissatisfied', rating: null }
      if (cmd === 'sync_export') return { file: '/media/usb/b.bundle', records: 2, blobs: 0 }
      return makeCase()
    })
    const session = {
      token: 'sess-7',
      staff_id: 's1',
      name: '王芳',
      hall_id: 'HK-01',
      roles: ['field-staff'],
      windows: [],
      permissions: ['field-intake'],
      idle_minutes: 15,
    }
    const b = new TauriBackend({ invoke, listen: vi.fn() })
    await b.login('s1', 'pw')
    await expect(b.readApplicantCard()).resolves.toEqual(card)
    await b.startCase('ID-RENEW', { card_token: 'card-tok-1' })
    await b.startCase('ID-RENEW', { name: '张三丰', id_number: '460100195001011234' })
    await b.rateCase('c1', { grade: 'dissatisfied', reasons: ['slow'], comment: '', anonymous: false }, 'evaluator')
    await expect(b.rateWithEvaluator('c1')).resolves.toEqual({ grade: 'dissatisfied', rating: null })
    await expect(b.exportBundle('correct horse')).resolves.toEqual({ file: '/media/usb/b.bundle', records: 2, blobs: 0 })
    const token = 'sess-7'
    expect(invoke.mock.calls.slice(1)).toEqual([
      ['case_read_card', { token }],
      ['case_start', { itemCode: 'ID-RENEW', applicant: null, cardToken: 'card-tok-1', token }],
      [
        'case_start',
        { itemCode: 'ID-RENEW', applicant: { name: '张三丰', id_number: '460100195001011234' }, cardToken: null, token },
      ],
      [
        'case_rate',
        {
          id: 'c1',
          input: { grade: 'dissatisfied', reasons: ['slow'], comment: '', anonymous: false },
          channel: 'evaluator',
          token,
        },
      ],
      ['case_rate_evaluator', { id: 'c1', token }],
      ['sync_export', { passphrase: 'correct horse', token }],
    ])
  })

  it('passes evaluator and bundle errors through with their codes', async () => {
    const b = new TauriBackend({
      invoke: async (cmd) => {
        throw cmd === 'sync_export'
          ? { code: 'sync.no_server', message: 'no sync server configured' }
          : { code: 'evaluator.timeout', message: 'no key within 60 s' }
      },
      listen: vi.fn(),
    })
    await expect(b.rateWithEvaluator('c1')).rejects.toMatchObject({ code: 'evaluator.timeout' })
    await expect(b.exportBundle('correct horse')).rejects.toMatchObject({ code: 'sync.no_server' })
  })
})

describe('error mapping', () => {
  it('accepts the error object, its JSON text, plain text and Errors', () => {
    expect(toBackendError({ code: 'a.b', message: 'm' }).toJSON()).toEqual({ code: 'a.b', message: 'm' })
    expect(toBackendError('{"code":"a.b","message":"m"}').toJSON()).toEqual({ code: 'a.b', message: 'm' })
    expect(toBackendError('boom').toJSON()).toEqual({ code: 'client.unknown', message: 'boom' })
    expect(toBackendError(new TypeError('Failed to fetch')).code).toBe('client.unreachable')
    expect(toBackendError(new DOMException('x', 'AbortError')).code).toBe('client.timeout')
    expect(toBackendError(42).toJSON()).toEqual({ code: 'client.unknown', message: '42' })
    const e = new BackendError('x.y', 'z')
    expect(toBackendError(e)).toBe(e)
  })
})

describe('event parsing', () => {
  it('accepts the five known events as objects or JSON', () => {
    for (const type of ['tickets.changed', 'devices.changed', 'sync.changed', 'status.changed', 'cases.changed']) {
      expect(parseEvent({ type })).toEqual({ type })
      expect(parseEvent(JSON.stringify({ type, extra: 1 }))).toEqual({ type })
    }
  })

  it('ignores events this UI does not know, such as blob progress', () => {
    const progress = { type: 'blob.progress', sm3: 'ab'.repeat(32), direction: 'upload', done_bytes: 1, total_bytes: 2 }
    expect(parseEvent(progress)).toBeNull()
    expect(parseEvent(JSON.stringify(progress))).toBeNull()
  })

  it('rejects everything else', () => {
    for (const bad of [null, undefined, 1, 'x', '{', '[]', '{"type":1}', { type: 'tickets.removed' }, { kind: 'x' }]) {
      expect(parseEvent(bad)).toBeNull()
    }
  })
})
