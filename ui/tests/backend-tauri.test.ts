import { describe, expect, it, vi } from 'vitest'
import { BackendError, toBackendError } from '../src/backend/errors'
import { parseEvent } from '../src/backend/parse'
import { EVENT_CHANNEL, TauriBackend, type InvokeFn, type ListenFn } from '../src/backend/tauri'
import type { BackendEvent } from '../src/backend/types'
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
  it('accepts the four known events as objects or JSON', () => {
    for (const type of ['tickets.changed', 'devices.changed', 'sync.changed', 'status.changed']) {
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
