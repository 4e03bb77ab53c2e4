import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BackendError } from '../src/backend/errors'
import { eventsUrlFor, HttpBackend, type WebSocketLike } from '../src/backend/http'
import type { BackendEvent, ConnectionState } from '../src/backend/types'
import { makeApplicantCard, makeCase } from './applicationFixtures'
import { makeStatus, makeTicket, makeUnsynced } from './helpers'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

class FakeSocket implements WebSocketLike {
  onopen: ((ev: Event) => unknown) | null = null
  onclose: ((ev: CloseEvent) => unknown) | null = null
  onerror: ((ev: Event) => unknown) | null = null
  onmessage: ((ev: MessageEvent) => unknown) | null = null
  closed = false
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true
  }
  open(): void {
    this.onopen?.(new Event('open'))
  }
  message(data: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data }))
  }
  drop(): void {
    this.onerror?.(new Event('error'))
    this.onclose?.(new CloseEvent('close', { code: 1006 }))
  }
}

describe('HTTP transport: requests', () => {
  it('GETs /api/status and returns the status', async () => {
    const status = makeStatus()
    const fetch = vi.fn(async () => json(status))
    const backend = new HttpBackend({ baseUrl: 'http://hall.local:8080', fetch })
    await expect(backend.status()).resolves.toEqual(status)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('http://hall.local:8080/api/status')
    expect(init.method).toBe('GET')
  })

  it('POSTs the category to /api/tickets and returns the 201 ticket', async () => {
    const ticket = makeTicket({ number: 'B007', category: 'B' })
    const fetch = vi.fn(async () => json(ticket, 201))
    const backend = new HttpBackend({ baseUrl: 'http://hall.local:8080/', fetch })
    await expect(backend.issueTicket('B')).resolves.toEqual(ticket)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('http://hall.local:8080/api/tickets')
    expect(init.method).toBe('POST')
    expect(JSON.parse(init.body as string)).toEqual({ category: 'B' })
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json')
  })

  it('GETs the ticket list', async () => {
    const list = [makeTicket(), makeTicket({ id: 'tk-2', number: 'A002' })]
    const backend = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json(list) })
    await expect(backend.listTickets()).resolves.toEqual(list)
  })

  it('GETs the records not yet synced from /api/sync/pending', async () => {
    const unsynced = { total: 3, records: [makeUnsynced(), makeUnsynced({ id: 'x', label: '…6e7f8a9b', status: 'refused' })] }
    const fetch = vi.fn(async () => json(unsynced))
    const backend = new HttpBackend({ baseUrl: 'http://hall.local:8080', fetch })
    await expect(backend.unsyncedRecords()).resolves.toEqual(unsynced)
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('http://hall.local:8080/api/sync/pending')
    expect(init.method).toBe('GET')
  })

  it('rejects an unsynced list of the wrong shape as client.bad_response', async () => {
    for (const body of [[], { total: 1 }, { total: 1, records: [{ id: 'x' }] }]) {
      const backend = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json(body) })
      await expect(backend.unsyncedRecords()).rejects.toMatchObject({ code: 'client.bad_response' })
    }
  })

  it('maps a {code, message} error body to a BackendError', async () => {
    const backend = new HttpBackend({
      baseUrl: 'http://x',
      fetch: async () => json({ code: 'queue.unknown_category', message: 'no category Z' }, 422),
    })
    const err = await backend.issueTicket('Z').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect(err).toMatchObject({ code: 'queue.unknown_category', message: 'no category Z' })
  })

  it('maps an error without a JSON body to client.http_error', async () => {
    const backend = new HttpBackend({
      baseUrl: 'http://x',
      fetch: async () => new Response('Bad Gateway', { status: 502, statusText: 'Bad Gateway' }),
    })
    await expect(backend.status()).rejects.toMatchObject({ code: 'client.http_error', message: 'HTTP 502: Bad Gateway' })
  })

  it('maps a network failure to client.unreachable', async () => {
    const backend = new HttpBackend({
      baseUrl: 'http://x',
      fetch: async () => {
        throw new TypeError('Failed to fetch')
      },
    })
    await expect(backend.status()).rejects.toMatchObject({ code: 'client.unreachable', message: 'Failed to fetch' })
  })

  it('maps a wrong-shaped or non-JSON answer to client.bad_response', async () => {
    const notJson = new HttpBackend({ baseUrl: 'http://x', fetch: async () => new Response('<html>') })
    await expect(notJson.status()).rejects.toMatchObject({ code: 'client.bad_response' })
    const wrongShape = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json({ hello: 1 }) })
    await expect(wrongShape.status()).rejects.toMatchObject({ code: 'client.bad_response' })
    const notList = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json({}) })
    await expect(notList.listTickets()).rejects.toMatchObject({ code: 'client.bad_response' })
  })

  it('gives up after the timeout with client.timeout', async () => {
    vi.useFakeTimers()
    try {
      const fetch = vi.fn(
        (_url: string, init?: RequestInit) =>
          new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
          }),
      )
      const backend = new HttpBackend({ baseUrl: 'http://x', fetch: fetch as typeof globalThis.fetch, timeoutMs: 500 })
      const pending = backend.status().catch((e: unknown) => e)
      await vi.advanceTimersByTimeAsync(600)
      expect(await pending).toMatchObject({ code: 'client.timeout' })
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('HTTP transport: intake and field calls', () => {
  type Call = [method: string | undefined, path: string, body: unknown, auth: string | undefined]
  function recorder(answer: (url: string) => unknown) {
    const calls: Call[] = []
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      const headers = init.headers as Record<string, string>
      calls.push([
        init.method,
        url.replace('http://h/', ''),
        init.body === undefined ? undefined : JSON.parse(init.body as string),
        headers.Authorization,
      ])
      return json(answer(url))
    })
    return { calls, fetch: fetch as unknown as typeof globalThis.fetch }
  }

  it('reads the applicant card, starts a case with the card token or the typed applicant', async () => {
    const card = makeApplicantCard()
    const { calls, fetch } = recorder((url) => (url.endsWith('/api/cases/card') ? card : makeCase()))
    const b = new HttpBackend({ baseUrl: 'http://h', fetch })
    await expect(b.readApplicantCard()).resolves.toEqual(card)
    await b.startCase('ID-RENEW', { card_token: 'card-tok-1' })
    await b.startCase('ID-RENEW', { name: '张三丰', id_number: '460100195001011234' })
    expect(calls.map(([m, p, body]) => [m, p, body])).toEqual([
      ['POST', 'api/cases/card', {}],
      ['POST', 'api/cases', { item_code: 'ID-RENEW', card_token: 'card-tok-1' }],
      ['POST', 'api/cases', { item_code: 'ID-RENEW', applicant: { name: '张三丰', id_number: '460100195001011234' } }],
    ])
  })

  it('sends the staff token with the card read, like the other case calls', async () => {
    const session = {
      token: 'sess-9',
      staff_id: 's1',
      name: '王芳',
      hall_id: 'HK-01',
      roles: ['clerk'],
      windows: [3],
      permissions: ['serve-window'],
      idle_minutes: 15,
    }
    const card = makeApplicantCard()
    const { calls, fetch } = recorder((url) => (url.endsWith('/api/login') ? session : card))
    const b = new HttpBackend({ baseUrl: 'http://h', fetch })
    await b.login('s1', 'pw')
    await b.readApplicantCard()
    expect(calls[1]).toEqual(['POST', 'api/cases/card', {}, 'Bearer sess-9'])
  })

  it('rates with a channel, with the keypad evaluator, and exports a bundle', async () => {
    const rating = { case_number: 'N1', grade: 'dissatisfied', submitted_at_ms: 1 }
    const { calls, fetch } = recorder((url) => {
      if (url.endsWith('/rating/evaluator')) return { grade: 'very_satisfied', rating: { ...rating, grade: 'very_satisfied' } }
      if (url.endsWith('/rating')) return rating
      return { file: '/media/usb/banshi-T1.bundle', records: 12, blobs: 3 }
    })
    const b = new HttpBackend({ baseUrl: 'http://h', fetch })
    await b.rateCase('c/1', { grade: 'dissatisfied', reasons: ['slow'], comment: '', anonymous: false }, 'evaluator')
    await expect(b.rateWithEvaluator('c/1')).resolves.toEqual({
      grade: 'very_satisfied',
      rating: { ...rating, grade: 'very_satisfied' },
    })
    await expect(b.exportBundle('correct horse')).resolves.toEqual({
      file: '/media/usb/banshi-T1.bundle',
      records: 12,
      blobs: 3,
    })
    expect(calls.map(([m, p, body]) => [m, p, body])).toEqual([
      [
        'POST',
        'api/cases/c%2F1/rating',
        { grade: 'dissatisfied', reasons: ['slow'], comment: '', anonymous: false, channel: 'evaluator' },
      ],
      ['POST', 'api/cases/c%2F1/rating/evaluator', {}],
      ['POST', 'api/sync/export', { passphrase: 'correct horse' }],
    ])
  })

  it('answers a dissatisfied key without a rating, and refuses malformed answers', async () => {
    const ok = new HttpBackend({ baseUrl: 'http://h', fetch: async () => json({ grade: 'very_dissatisfied', rating: null }) })
    await expect(ok.rateWithEvaluator('c1')).resolves.toEqual({ grade: 'very_dissatisfied', rating: null })
    const bad = [
      ['rateWithEvaluator', { grade: 'meh', rating: null }],
      ['readApplicantCard', { token: 't', name_masked: '张*', id_number_masked: 'x' }],
      ['readApplicantCard', { ...makeApplicantCard(), cases: [{ id: 'c' }] }],
      ['exportBundle', { file: '/x', records: '3', blobs: 0 }],
      ['getCase', { ...makeCase(), notices: [{ kind: 'invoice', at_ms: 1, printed: true }] }],
    ] as const
    for (const [method, body] of bad) {
      const b = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json(body) })
      await expect((b[method] as (a: string) => Promise<unknown>)('a')).rejects.toMatchObject({
        code: 'client.bad_response',
      })
    }
  })

  it('passes the notices and the progress URL of a case through', async () => {
    const kase = makeCase({
      notices: [
        { kind: 'receipt', at_ms: 1, printed: true },
        { kind: 'acceptance_with_missing', at_ms: 2, printed: false },
      ],
    })
    const b = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json(kase) })
    const view = await b.getCase('case-1')
    expect(view.notices).toEqual(kase.notices)
    expect(view.progress_url).toBe(kase.progress_url)
  })

  it('waits longer than the usual timeout for the evaluator', async () => {
    vi.useFakeTimers()
    try {
      let signal: AbortSignal | undefined
      const fetch = vi.fn(
        (_url: string, init?: RequestInit) =>
          new Promise<Response>((resolve, reject) => {
            signal = init?.signal ?? undefined
            signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
            setTimeout(() => resolve(json({ grade: 'basic', rating: { case_number: 'N', grade: 'basic', submitted_at_ms: 1 } })), 50_000)
          }),
      )
      const backend = new HttpBackend({ baseUrl: 'http://x', fetch: fetch as typeof globalThis.fetch, timeoutMs: 500 })
      const pending = backend.rateWithEvaluator('c1')
      await vi.advanceTimersByTimeAsync(50_000)
      await expect(pending).resolves.toMatchObject({ grade: 'basic' })
      expect(signal?.aborted).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('HTTP transport: events WebSocket', () => {
  let sockets: FakeSocket[]
  let backend: HttpBackend
  let events: BackendEvent[]
  let states: ConnectionState[]

  beforeEach(() => {
    vi.useFakeTimers()
    sockets = []
    events = []
    states = []
    backend = new HttpBackend({
      baseUrl: 'http://hall.local:8080',
      fetch: async () => json({}),
      webSocket: (url) => {
        const s = new FakeSocket(url)
        sockets.push(s)
        return s
      },
      backoffMs: (attempt) => 1000 * (attempt + 1),
    })
    backend.onConnection((s) => states.push(s))
    backend.subscribe((e) => events.push(e))
  })

  afterEach(() => {
    backend.close()
    vi.useRealTimers()
  })

  it('derives ws:// and wss:// URLs', () => {
    expect(eventsUrlFor('http://hall.local:8080')).toBe('ws://hall.local:8080/api/events')
    expect(eventsUrlFor('https://hall.example.cn/')).toBe('wss://hall.example.cn/api/events')
    expect(sockets[0]!.url).toBe('ws://hall.local:8080/api/events')
  })

  it('opens one socket and reports the connection state', () => {
    expect(sockets).toHaveLength(1)
    backend.subscribe(() => {})
    expect(sockets).toHaveLength(1)
    expect(backend.connectionState()).toBe('connecting')
    sockets[0]!.open()
    expect(backend.connectionState()).toBe('open')
    expect(states).toEqual(['connecting', 'open'])
  })

  it('parses event messages and ignores junk', () => {
    sockets[0]!.open()
    sockets[0]!.message(JSON.stringify({ type: 'tickets.changed' }))
    sockets[0]!.message('not json')
    sockets[0]!.message(JSON.stringify({ type: 'something.new' }))
    sockets[0]!.message(JSON.stringify([1, 2]))
    sockets[0]!.message(new TextEncoder().encode(JSON.stringify({ type: 'sync.changed' })).buffer)
    expect(events).toEqual([{ type: 'tickets.changed' }, { type: 'sync.changed' }])
  })

  it('reconnects with backoff after a drop and resets the backoff once open', async () => {
    sockets[0]!.open()
    sockets[0]!.drop()
    expect(backend.connectionState()).toBe('reconnecting')
    await vi.advanceTimersByTimeAsync(999)
    expect(sockets).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(sockets).toHaveLength(2)
    // The second try fails too: the next wait is longer.
    sockets[1]!.drop()
    await vi.advanceTimersByTimeAsync(1999)
    expect(sockets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(sockets).toHaveLength(3)
    sockets[2]!.open()
    expect(backend.connectionState()).toBe('open')
    sockets[2]!.message('{"type":"devices.changed"}')
    expect(events).toEqual([{ type: 'devices.changed' }])
    // After a good connection the backoff starts over.
    sockets[2]!.drop()
    await vi.advanceTimersByTimeAsync(1000)
    expect(sockets).toHaveLength(4)
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open', 'reconnecting'])
  })

  it('stops for good on close()', async () => {
    sockets[0]!.open()
    backend.close()
    expect(sockets[0]!.closed).toBe(true)
    expect(backend.connectionState()).toBe('closed')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(sockets).toHaveLength(1)
  })

  it('stops delivering to an unsubscribed handler', () => {
    const seen: BackendEvent[] = []
    const off = backend.subscribe((e) => seen.push(e))
    sockets[0]!.open()
    sockets[0]!.message('{"type":"tickets.changed"}')
    off()
    sockets[0]!.message('{"type":"tickets.changed"}')
    expect(seen).toHaveLength(1)
    expect(events).toHaveLength(2)
  })
})
