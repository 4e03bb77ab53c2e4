// The queue and calling routes (issue 5) on both transports: HTTP paths, methods and bodies, Tauri command names
// and their camelCase arguments, and the shape checks of the answers.
import { describe, expect, it, vi } from 'vitest'
import { HttpBackend } from '../src/backend/http'
import { TauriBackend, type InvokeFn } from '../src/backend/tauri'
import type { Backend } from '../src/backend/types'
import { makeCalls, makeHallSetup, makeIdentity, makeKpi, makeTicket, makeWindowState } from './helpers'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

type Call = { method: string; path: string; body: unknown; contentType: string | undefined }

/** An HttpBackend whose fetch answers `answer(path)` and records every request. */
function http(answer: (path: string, method: string) => unknown) {
  const calls: Call[] = []
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = new URL(url).pathname
    const method = init?.method ?? 'GET'
    const headers = (init?.headers ?? {}) as Record<string, string>
    const raw = init?.body as string | undefined
    const contentType = headers['Content-Type']
    calls.push({
      method,
      path,
      body: raw === undefined ? undefined : contentType?.startsWith('text/plain') ? raw : JSON.parse(raw),
      contentType,
    })
    return json(answer(path, method))
  })
  const backend = new HttpBackend({ baseUrl: 'http://hall.local:8400', fetch: fetch as unknown as typeof globalThis.fetch })
  return { backend, calls }
}

const state = makeWindowState()

describe('HTTP transport: queue and calling', () => {
  it('sends the window actions to /api/window/*', async () => {
    const { backend, calls } = http(() => state)
    await expect(backend.windowState()).resolves.toEqual(state)
    await backend.windowSignIn()
    await backend.windowSignOut()
    await backend.windowCallNext()
    await backend.windowRecall()
    await backend.windowNoShow()
    await backend.windowFinish()
    await backend.windowPause(true)
    await backend.windowTransfer({ category: 'B' })
    await backend.windowTransfer({ window: 2 })
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['GET', '/api/window', undefined],
      ['POST', '/api/window/sign-in', {}],
      ['POST', '/api/window/sign-out', {}],
      ['POST', '/api/window/call-next', {}],
      ['POST', '/api/window/recall', {}],
      ['POST', '/api/window/no-show', {}],
      ['POST', '/api/window/finish', {}],
      ['POST', '/api/window/pause', { paused: true }],
      ['POST', '/api/window/transfer', { category: 'B' }],
      ['POST', '/api/window/transfer', { window: 2 }],
    ])
  })

  it('issues with an identity and a declared priority, and checks in appointments', async () => {
    const ticket = makeTicket({ priority: 'green' })
    const { backend, calls } = http((path) => (path === '/api/queue/identify' ? makeIdentity() : ticket))
    await expect(backend.identify()).resolves.toEqual(makeIdentity())
    await backend.issueTicket('A')
    await backend.issueTicket('A', { identity: 'tok-1', priority: 'green' })
    await backend.checkIn({ bookingNumber: '20261123001' })
    await backend.checkIn({ identity: 'tok-1' })
    expect(calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', '/api/queue/identify', {}],
      ['POST', '/api/tickets', { category: 'A' }],
      ['POST', '/api/tickets', { category: 'A', identity: 'tok-1', priority: 'green' }],
      ['POST', '/api/appointments/check-in', { booking_number: '20261123001' }],
      ['POST', '/api/appointments/check-in', { identity: 'tok-1' }],
    ])
  })

  it('reads calls, KPIs and the hall set-up, and PUTs a hall file as text', async () => {
    const hall = makeHallSetup()
    const { backend, calls } = http((path) =>
      path === '/api/calls' ? makeCalls() : path === '/api/kpi' ? makeKpi() : hall,
    )
    await expect(backend.calls()).resolves.toEqual(makeCalls())
    await expect(backend.kpi()).resolves.toEqual(makeKpi())
    await expect(backend.hallSetup()).resolves.toEqual(hall)
    await expect(backend.importHall('[hall]\nid = "HK-01"\n')).resolves.toEqual(hall)
    expect(calls.map((c) => [c.method, c.path])).toEqual([
      ['GET', '/api/calls'],
      ['GET', '/api/kpi'],
      ['GET', '/api/hall'],
      ['PUT', '/api/hall'],
    ])
    expect(calls[3]!.body).toBe('[hall]\nid = "HK-01"\n')
    expect(calls[3]!.contentType).toMatch(/^text\/plain/)
  })

  it('accepts a missing hall set-up (null)', async () => {
    const { backend } = http(() => null)
    await expect(backend.hallSetup()).resolves.toBeNull()
  })

  it('rejects wrong shapes as client.bad_response', async () => {
    const { backend } = http(() => ({ nope: true }))
    const checks: Array<(b: Backend) => Promise<unknown>> = [
      (b) => b.windowState(),
      (b) => b.windowCallNext(),
      (b) => b.identify(),
      (b) => b.calls(),
      (b) => b.kpi(),
      (b) => b.hallSetup(),
      (b) => b.importHall('x'),
      (b) => b.checkIn({ bookingNumber: '1' }),
    ]
    for (const check of checks) await expect(check(backend)).rejects.toMatchObject({ code: 'client.bad_response' })
  })

  it('maps hall.invalid to a BackendError with its line:column message', async () => {
    const fetch = async () => json({ code: 'hall.invalid', message: 'line 3, column 7: expected `=`' }, 400)
    const backend = new HttpBackend({ baseUrl: 'http://x', fetch })
    await expect(backend.importHall('bad')).rejects.toMatchObject({
      code: 'hall.invalid',
      message: 'line 3, column 7: expected `=`',
    })
  })
})

describe('Tauri transport: queue and calling', () => {
  it('invokes the commands with camelCase arguments', async () => {
    const invoke = vi.fn<InvokeFn>(async (cmd) => {
      if (cmd.startsWith('window_')) return state
      if (cmd === 'queue_identify') return makeIdentity()
      if (cmd === 'issue_ticket' || cmd === 'appointment_check_in') return makeTicket()
      if (cmd === 'calls') return makeCalls()
      if (cmd === 'kpi') return makeKpi()
      if (cmd === 'hall_setup') return null
      if (cmd === 'import_hall') return makeHallSetup()
      throw new Error(`unexpected ${cmd}`)
    })
    const backend = new TauriBackend({ invoke, listen: vi.fn() })
    await backend.windowState()
    await backend.windowSignIn()
    await backend.windowSignOut()
    await backend.windowCallNext()
    await backend.windowRecall()
    await backend.windowNoShow()
    await backend.windowFinish()
    await backend.windowPause(false)
    await backend.windowTransfer({ category: 'B' })
    await backend.windowTransfer({ window: 2 })
    await backend.identify()
    await backend.issueTicket('A', { identity: 'tok-1', priority: 'disabled' })
    await backend.checkIn({ bookingNumber: '42' })
    await backend.checkIn({ identity: 'tok-1' })
    await backend.calls()
    await backend.kpi()
    await expect(backend.hallSetup()).resolves.toBeNull()
    await backend.importHall('toml text')
    expect(invoke.mock.calls).toEqual([
      ['window_state', { token: null }],
      ['window_sign_in', { token: null }],
      ['window_sign_out', { token: null }],
      ['window_call_next', { token: null }],
      ['window_recall', { token: null }],
      ['window_no_show', { token: null }],
      ['window_finish', { token: null }],
      ['window_pause', { paused: false, token: null }],
      ['window_transfer', { category: 'B', window: null, token: null }],
      ['window_transfer', { category: null, window: 2, token: null }],
      ['queue_identify', undefined],
      ['issue_ticket', { category: 'A', identity: 'tok-1', priority: 'disabled' }],
      ['appointment_check_in', { identity: null, bookingNumber: '42' }],
      ['appointment_check_in', { identity: 'tok-1', bookingNumber: null }],
      ['calls', undefined],
      ['kpi', { token: null }],
      ['hall_setup', undefined],
      ['import_hall', { toml: 'toml text', token: null }],
    ])
  })
})
