// HTTP transport: the app in a plain browser, served by `banshi serve` from the same origin (hall PCs, a TV
// browser showing the call screen). Requests go to /api/*, live events come over the /api/events WebSocket.

import { BackendError, CLIENT_ERRORS, httpError, toBackendError } from './errors'
import { EventHub } from './hub'
import { LOGIN_REQUIRED, SessionStore } from './session'
import {
  checkAuditCheck,
  checkCalls,
  checkFleetTerminals,
  checkJsonSchema,
  checkProfileErrors,
  checkRollout,
  checkRolloutList,
  checkFullApplicant,
  checkHallSetup,
  checkIdentity,
  checkKpi,
  checkOptionalHallSetup,
  checkStaffAccount,
  checkStaffList,
  checkStaffSession,
  checkStatus,
  checkTicket,
  checkTicketList,
  checkUnsyncedList,
  checkWindowState,
  checkCaseSummaryList,
  checkCaseView,
  checkCatalogue,
  checkItemList,
  checkProgress,
  checkPublishedCatalogue,
  checkRatingView,
  checkApplicantCard,
  checkBundleExport,
  checkCustomerScreen,
  checkEvaluatorOutcome,
  parseEvent,
} from './parse'
import type {
  AuditCheck,
  Backend,
  BackendEvent,
  Calls,
  CheckInRequest,
  ConnectionState,
  FleetGroup,
  FleetTerminals,
  FullApplicant,
  JsonSchema,
  ProfileError,
  RolloutView,
  HallSetup,
  Identity,
  IssueOptions,
  Kpi,
  StaffAccount,
  StaffInput,
  StaffSession,
  Status,
  Ticket,
  TransferTarget,
  Unsubscribe,
  UnsyncedList,
  WindowState,
  Catalogue,
  CaseSummary,
  CaseView,
  ApplicantCard,
  BundleExport,
  CaseApplicant,
  CustomerOffer,
  PreReviewVerdict,
  CustomerScreen,
  EvaluatorOutcome,
  RatingChannel,
  Decision,
  DraftPatch,
  Item,
  MaterialMark,
  ProgressView,
  RatingInput,
  RatingView,
} from './types'

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
/** The keypad evaluator waits up to 60 s for the applicant's key: the request waits a little longer. */
export const EVALUATOR_TIMEOUT_MS = 75_000
/** The progress lookup waits up to 30 s for a receipt under the scanner. */
export const SCAN_TIMEOUT_MS = 40_000
/** Writing a bundle of every unsynced record (scans included) to removable media can take minutes. */
export const EXPORT_TIMEOUT_MS = 300_000

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
  private readonly session = new SessionStore()
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

  issueTicket(category: string, options: IssueOptions = {}): Promise<Ticket> {
    const body: Record<string, unknown> = { category }
    if (options.identity !== undefined) body.identity = options.identity
    if (options.priority !== undefined) body.priority = options.priority
    return this.request('POST', 'api/tickets', body).then(checkTicket)
  }

  listTickets(): Promise<Ticket[]> {
    return this.request('GET', 'api/tickets').then(checkTicketList)
  }

  unsyncedRecords(): Promise<UnsyncedList> {
    return this.request('GET', 'api/sync/pending').then(checkUnsyncedList)
  }

  identify(): Promise<Identity> {
    return this.request('POST', 'api/queue/identify', {}).then(checkIdentity)
  }

  checkIn(request: CheckInRequest): Promise<Ticket> {
    const body: Record<string, unknown> = {}
    if (request.identity !== undefined) body.identity = request.identity
    if (request.bookingNumber !== undefined) body.booking_number = request.bookingNumber
    return this.request('POST', 'api/appointments/check-in', body).then(checkTicket)
  }

  windowState(): Promise<WindowState> {
    return this.request('GET', 'api/window').then(checkWindowState)
  }

  windowSignIn(): Promise<WindowState> {
    return this.windowAction('sign-in')
  }

  windowSignOut(): Promise<WindowState> {
    return this.windowAction('sign-out')
  }

  windowCallNext(): Promise<WindowState> {
    return this.windowAction('call-next')
  }

  windowRecall(): Promise<WindowState> {
    return this.windowAction('recall')
  }

  windowNoShow(): Promise<WindowState> {
    return this.windowAction('no-show')
  }

  windowFinish(): Promise<WindowState> {
    return this.windowAction('finish')
  }

  windowPause(paused: boolean): Promise<WindowState> {
    return this.windowAction('pause', { paused })
  }

  windowTransfer(target: TransferTarget): Promise<WindowState> {
    const body = target.category !== undefined ? { category: target.category } : { window: target.window }
    return this.windowAction('transfer', body)
  }

  windowApplicant(): Promise<FullApplicant> {
    return this.request('GET', 'api/window/applicant').then(checkFullApplicant)
  }

  async login(staffId: string, password: string): Promise<StaffSession> {
    const session = checkStaffSession(await this.request('POST', 'api/login', { staff_id: staffId, password }))
    this.session.set(session)
    return session
  }

  async loginCard(pin: string): Promise<StaffSession> {
    const session = checkStaffSession(await this.request('POST', 'api/login/card', { pin }))
    this.session.set(session)
    return session
  }

  async logout(): Promise<void> {
    if (this.session.get() === null) return
    try {
      await this.request('POST', 'api/logout', {}, 'application/json', true)
    } finally {
      // Forget the token even when the backend cannot be told: the next person at the desk must not inherit it.
      this.session.set(null)
    }
  }

  async refreshSession(): Promise<StaffSession | null> {
    const token = this.session.token()
    if (token === null) return null
    const session = checkStaffSession(await this.request('GET', 'api/session'))
    if (this.session.token() === token) this.session.set(session)
    return this.session.get()
  }

  async changePassword(staffId: string, oldPassword: string, newPassword: string): Promise<void> {
    await this.request(
      'POST',
      'api/password',
      { staff_id: staffId, old_password: oldPassword, new_password: newPassword },
      'application/json',
      true,
    )
  }

  currentSession(): StaffSession | null {
    return this.session.get()
  }

  onSession(handler: (session: StaffSession | null) => void): Unsubscribe {
    return this.session.on(handler)
  }

  staffList(): Promise<StaffAccount[]> {
    return this.request('GET', 'api/staff').then(checkStaffList)
  }

  saveStaff(input: StaffInput): Promise<StaffAccount> {
    return this.request('POST', 'api/staff', input).then(checkStaffAccount)
  }

  verifyAudit(): Promise<AuditCheck> {
    return this.request('GET', 'api/audit/verify').then(checkAuditCheck)
  }

  calls(): Promise<Calls> {
    return this.request('GET', 'api/calls').then(checkCalls)
  }

  kpi(): Promise<Kpi> {
    return this.request('GET', 'api/kpi').then(checkKpi)
  }

  hallSetup(): Promise<HallSetup | null> {
    return this.request('GET', 'api/hall').then(checkOptionalHallSetup)
  }

  importHall(toml: string): Promise<HallSetup> {
    return this.request('PUT', 'api/hall', toml, 'text/plain').then(checkHallSetup)
  }

  async unlockKiosk(pin: string): Promise<void> {
    await this.request('POST', 'api/kiosk/unlock', { pin }, 'application/json', true)
  }

  resetSession(): Promise<number> {
    return this.request('POST', 'api/kiosk/reset-session', {}).then((v) => {
      const n = (v as { forgotten?: unknown } | null)?.forgotten
      return typeof n === 'number' ? n : 0
    })
  }

  fleetTerminals(): Promise<FleetTerminals> {
    return this.request('GET', 'api/fleet/terminals').then(checkFleetTerminals)
  }

  fleetRollouts(): Promise<RolloutView[]> {
    return this.request('GET', 'api/fleet/rollouts').then(checkRolloutList)
  }

  fleetValidateProfile(toml: string): Promise<ProfileError[]> {
    return this.request('POST', 'api/fleet/profile/validate', { toml }).then(checkProfileErrors)
  }

  fleetProfileSchema(): Promise<JsonSchema> {
    return this.request('GET', 'api/fleet/profile/schema').then(checkJsonSchema)
  }

  fleetPublish(group: FleetGroup, profileToml: string): Promise<RolloutView> {
    return this.request('POST', 'api/fleet/releases', { group, profile_toml: profileToml }).then(checkRollout)
  }

  fleetAdvance(releaseId: string): Promise<RolloutView> {
    return this.request('POST', `api/fleet/rollouts/${encodeURIComponent(releaseId)}/advance`, {}).then(checkRollout)
  }

  fleetRollback(releaseId: string): Promise<RolloutView> {
    return this.request('POST', `api/fleet/rollouts/${encodeURIComponent(releaseId)}/rollback`, {}).then(checkRollout)
  }

  catalogue(): Promise<Catalogue> {
    return this.request('GET', 'api/catalogue').then(checkCatalogue)
  }

  searchCatalogue(q: string): Promise<Item[]> {
    return this.request('GET', `api/catalogue/search?q=${encodeURIComponent(q)}`).then(checkItemList)
  }

  startCase(itemCode: string, who?: CaseApplicant): Promise<CaseView> {
    const body: Record<string, unknown> = { item_code: itemCode }
    if (who !== undefined) {
      if ('card_token' in who) body.card_token = who.card_token
      else body.applicant = who
    }
    return this.request('POST', 'api/cases', body).then(checkCaseView)
  }

  readApplicantCard(): Promise<ApplicantCard> {
    return this.request('POST', 'api/cases/card', {}).then(checkApplicantCard)
  }

  getCase(id: string): Promise<CaseView> {
    return this.request('GET', casePath(id)).then(checkCaseView)
  }

  saveDraft(id: string, patch: DraftPatch): Promise<CaseView> {
    return this.request('POST', casePath(id, 'draft'), patch).then(checkCaseView)
  }

  captureMaterialPage(id: string, materialId: string): Promise<CaseView> {
    return this.request('POST', casePath(id, 'capture'), { material_id: materialId }).then(checkCaseView)
  }

  addMaterialPages(id: string, materialId: string, pages: string[]): Promise<CaseView> {
    return this.request('POST', casePath(id, 'pages'), { material_id: materialId, pages }).then(checkCaseView)
  }

  signCase(id: string, png: string): Promise<CaseView> {
    return this.request('POST', casePath(id, 'signature'), { png }).then(checkCaseView)
  }

  submitCase(id: string): Promise<CaseView> {
    return this.request('POST', casePath(id, 'submit'), {}).then(checkCaseView)
  }

  rateCase(id: string, input: RatingInput, channel: RatingChannel = 'kiosk'): Promise<RatingView> {
    return this.request('POST', casePath(id, 'rating'), { ...input, channel }).then(checkRatingView)
  }

  customerScreen(): Promise<CustomerScreen> {
    return this.request('GET', 'api/customer-screen').then(checkCustomerScreen)
  }

  showOnCustomerScreen(caseId: string, show: CustomerOffer): Promise<CustomerScreen> {
    return this.request('POST', 'api/window/customer-screen', { case_id: caseId, show }).then(checkCustomerScreen)
  }

  clearCustomerScreen(): Promise<CustomerScreen> {
    return this.request('POST', 'api/window/customer-screen/clear', {}).then(checkCustomerScreen)
  }

  customerScreenSign(offer: string, png: string): Promise<CustomerScreen> {
    return this.request('POST', 'api/customer-screen/signature', { offer, png }).then(checkCustomerScreen)
  }

  customerScreenDispute(offer: string): Promise<CustomerScreen> {
    return this.request('POST', 'api/customer-screen/dispute', { offer }).then(checkCustomerScreen)
  }

  customerScreenRate(offer: string, input: RatingInput): Promise<RatingView> {
    return this.request('POST', 'api/customer-screen/rating', { ...input, offer }).then(checkRatingView)
  }

  rateWithEvaluator(id: string): Promise<EvaluatorOutcome> {
    return this.request('POST', casePath(id, 'rating/evaluator'), {}, 'application/json', false, EVALUATOR_TIMEOUT_MS).then(
      checkEvaluatorOutcome,
    )
  }

  scanCaseProgress(): Promise<ProgressView> {
    return this.request('POST', 'api/progress/scan', {}, 'application/json', false, SCAN_TIMEOUT_MS).then(checkProgress)
  }

  caseProgress(number: string): Promise<ProgressView> {
    return this.request('GET', `api/progress/${encodeURIComponent(number)}`).then(checkProgress)
  }

  openCases(): Promise<CaseSummary[]> {
    return this.request('GET', 'api/cases').then(checkCaseSummaryList)
  }

  lookupCases(idNumber: string): Promise<CaseSummary[]> {
    return this.request('POST', 'api/cases/lookup', { id_number: idNumber }).then(checkCaseSummaryList)
  }

  markMaterial(id: string, materialId: string, mark: MaterialMark): Promise<CaseView> {
    return this.request('POST', casePath(id, `materials/${encodeURIComponent(materialId)}`), {
      paper_received: mark.paperReceived,
      reviewed: mark.reviewed,
    }).then(checkCaseView)
  }

  preReviewCase(id: string, verdict: PreReviewVerdict): Promise<CaseView> {
    return this.request('POST', casePath(id, 'pre-review'), verdict).then(checkCaseView)
  }

  decideCase(id: string, decision: Decision): Promise<CaseView> {
    return this.request('POST', casePath(id, 'decision'), decision).then(checkCaseView)
  }

  publishCatalogue(toml: string): Promise<{ version: number }> {
    return this.request('PUT', 'api/catalogue', toml, 'text/plain').then(checkPublishedCatalogue)
  }

  exportBundle(passphrase: string): Promise<BundleExport> {
    return this.request('POST', 'api/sync/export', { passphrase }, 'application/json', false, EXPORT_TIMEOUT_MS).then(
      checkBundleExport,
    )
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

  // Actions without arguments still send `{}`: a JSON body is accepted whether the route reads one or not.
  private windowAction(action: string, body: Record<string, unknown> = {}): Promise<WindowState> {
    return this.request('POST', `api/window/${action}`, body).then(checkWindowState)
  }

  /**
   * One request. A `body` is sent as JSON unless `contentType` is `text/plain` (the hall file goes up as its own
   * TOML text). The session's token goes with every request; `noContent` routes answer 204 and resolve to null.
   * `timeoutMs` raises the client's wait for the calls that wait on purpose (the evaluator, a bundle export).
   */
  private async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    contentType: 'application/json' | 'text/plain' = 'application/json',
    noContent = false,
    timeoutMs = this.timeoutMs,
  ): Promise<unknown> {
    const token = this.session.token()
    const controller = new AbortController()
    const wait = Math.max(timeoutMs, this.timeoutMs)
    const timer = setTimeout(() => controller.abort(), wait)
    let response: Response
    try {
      const headers: Record<string, string> = { Accept: 'application/json' }
      if (body !== undefined) {
        headers['Content-Type'] = contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType
      }
      if (token !== null) headers.Authorization = `Bearer ${token}`
      const init: RequestInit = {
        method,
        headers,
        signal: controller.signal,
        cache: 'no-store',
      }
      if (body !== undefined) init.body = contentType === 'text/plain' ? String(body) : JSON.stringify(body)
      response = await this.fetchImpl()(new URL(path, this.base).toString(), init)
    } catch (err) {
      if (controller.signal.aborted) {
        throw new BackendError(CLIENT_ERRORS.timeout, `no answer from the backend within ${wait} ms`)
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
    if (!response.ok) {
      const error = httpError(response.status, response.statusText, text)
      if (error.code === LOGIN_REQUIRED) this.session.expired(token)
      throw error
    }
    if (noContent || response.status === 204) return null
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

/** `api/cases/<id>[/<rest>]`, the id escaped. */
function casePath(id: string, rest?: string): string {
  const base = `api/cases/${encodeURIComponent(id)}`
  return rest === undefined ? base : `${base}/${rest}`
}

export function createHttpBackend(options?: HttpBackendOptions): Backend {
  return new HttpBackend(options)
}
