// HTTP transport: the app in a plain browser, served by `banshi serve` from the same origin (hall PCs, a TV
// browser showing the call screen). Requests go to /api/*, live events come over the /api/events WebSocket.

import { BackendError, CLIENT_ERRORS, httpError, toBackendError } from './errors'
import { EventHub } from './hub'
import { checkStatus, checkTicket, checkTicketList, checkUnsyncedList, parseEvent } from './parse'
import type { Backend, BackendEvent, ConnectionState, Status, Ticket, Unsubscribe, UnsyncedList } from './types'

/** The part of the WebSocket API we use, so tests can pass a fake. */
export interface WebSocketLike {
  onopen: ((ev: Event) => unknown) | null
  onclose: ((ev: CloseEvent) => unknown) | null
  onerror: ((ev: Event) => unknown) | null
  onmessage: ((ev: MessageEvent) => unknown) | null
  close(code?: number, reason?: string): void
}
export type WebSocketFactory = (url: string) => WebSocketLike

export interface HttpBackendOptions {
  /** Origin (and optional path prefix) of the backend; default: the page's own origin. */
  baseUrl?: string
  /** Full ws:// or wss:// URL of the event stream; default: derived from `baseUrl` or the page location. */
  eventsUrl?: string
  fetch?: typeof fetch
  webSocket?: WebSocketFactory
  /** Per-request timeout. */
  timeoutMs?: number
  /** Delay before reconnect attempt `n` (0-based). */
  backoffMs?: (attempt: number) => number
}

export const DEFAULT_TIMEOUT_MS = 10_000

/** 0.5 s, 1 s, 2 s, 4 s, 8 s, then every 10 s, with ±20 % jitter so a hall of TVs does not reconnect in step. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(500 * 2 ** attempt, 10_000)
  return Math.round(base * (0.8 + Math.random() * 0.4))
}

function pageOrigin(): string {
  return typeof location !== 'undefined' ? location.origin : 'http://localhost'
}

/** ws:// for http pages, wss:// for https pages. */
export function eventsUrlFor(base: string): string {
  const url = new URL('api/events', base.endsWith('/') ? base : `${base}/`)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.toString()
}

export class HttpBackend implements Backend {
  readonly transport = 'http' as const
  private readonly base: string
  private readonly eventsUrl: string
  private readonly fetchImpl: () => typeof fetch
  private readonly makeSocket: WebSocketFactory
  private readonly timeoutMs: number
  private readonly backoff: (attempt: number) => number
  private readonly hub = new EventHub('closed')
  private socket: WebSocketLike | null = null
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private attempt = 0
  private started = false
  private stopped = false

  constructor(options: HttpBackendOptions = {}) {
    const base = options.baseUrl ?? pageOrigin()
    this.base = base.endsWith('/') ? base : `${base}/`
    this.eventsUrl = options.eventsUrl ?? eventsUrlFor(this.base)
    // Resolve fetch at call time, not construction time: tests and polyfills may replace the global later.
    this.fetchImpl = () => options.fetch ?? globalThis.fetch.bind(globalThis)
    this.makeSocket = options.webSocket ?? ((url) => new WebSocket(url))
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.backoff = options.backoffMs ?? defaultBackoff
  }

  status(): Promise<Status> {
    return this.request('GET', 'api/status').then(checkStatus)
  }

  issueTicket(category: string): Promise<Ticket> {
    return this.request('POST', 'api/tickets', { category }).then(checkTicket)
  }

  listTickets(): Promise<Ticket[]> {
    return this.request('GET', 'api/tickets').then(checkTicketList)
  }

  unsyncedRecords(): Promise<UnsyncedList> {
    return this.request('GET', 'api/sync/pending').then(checkUnsyncedList)
  }

  subscribe(handler: (event: BackendEvent) => void): Unsubscribe {
    const off = this.hub.add(handler)
    this.start()
    return off
  }

  connectionState(): ConnectionState {
    return this.hub.connectionState()
  }

  onConnection(handler: (state: ConnectionState) => void): Unsubscribe {
    const off = this.hub.onConnection(handler)
    this.start()
    return off
  }

  close(): void {
    this.stopped = true
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    const socket = this.socket
    this.socket = null
    if (socket) {
      socket.onclose = null
      socket.onmessage = null
      socket.onerror = null
      socket.onopen = null
      socket.close(1000, 'closed by client')
    }
    this.hub.setConnection('closed')
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.timeoutMs)
    let response: Response
    try {
      const init: RequestInit = {
        method,
        headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        signal: controller.signal,
        cache: 'no-store',
      }
      if (body !== undefined) init.body = JSON.stringify(body)
      response = await this.fetchImpl()(new URL(path, this.base).toString(), init)
    } catch (err) {
      if (controller.signal.aborted) {
        throw new BackendError(CLIENT_ERRORS.timeout, `no answer from the backend within ${this.timeoutMs} ms`)
      }
      throw toBackendError(err)
    } finally {
      clearTimeout(timer)
    }
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw toBackendError(err)
    }
    if (!response.ok) throw httpError(response.status, response.statusText, text)
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw new BackendError(CLIENT_ERRORS.badResponse, `the backend answered ${method} /${path} with non-JSON text`)
    }
  }

  private start(): void {
    if (this.started || this.stopped) return
    this.started = true
    this.connect()
  }

  private connect(): void {
    this.reconnectTimer = null
    if (this.stopped) return
    this.hub.setConnection(this.attempt === 0 ? 'connecting' : 'reconnecting')
    let socket: WebSocketLike
    try {
      socket = this.makeSocket(this.eventsUrl)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.attempt = 0
      this.hub.setConnection('open')
    }
    socket.onmessage = (ev: MessageEvent) => {
      const event = parseEvent(typeof ev.data === 'string' ? ev.data : decode(ev.data))
      if (event) this.hub.emit(event)
    }
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    }
    socket.onclose = () => {
      if (this.socket === socket) this.socket = null
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== null) return
    this.hub.setConnection('reconnecting')
    const delay = this.backoff(this.attempt)
    this.attempt += 1
    this.reconnectTimer = setTimeout(() => this.connect(), delay)
  }
}

/** Binary frames carry the same JSON as UTF-8. (Tag checks, not instanceof: buffers may come from another realm.) */
function decode(data: unknown): string | null {
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data)
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return new TextDecoder().decode(new Uint8Array(data as ArrayBuffer))
  }
  return null
}

export function createHttpBackend(options?: HttpBackendOptions): Backend {
  return new HttpBackend(options)
}
