// Test fixtures: a fake Backend (no transport at all) and a mount helper that provides it the way main.ts does.

import { enableAutoUnmount, flushPromises, mount, type ComponentMountingOptions } from '@vue/test-utils'
import { afterEach, vi } from 'vitest'
import type { Component } from 'vue'
import type { Router } from 'vue-router'
import { BACKEND_KEY } from '../src/backend/inject'
import type {
  AuditCheck,
  Backend,
  BackendEvent,
  Calls,
  ConnectionState,
  FleetTerminals,
  HallSetup,
  JsonSchema,
  ProfileError,
  RolloutView,
  Identity,
  FullApplicant,
  Kpi,
  RatingKpi,
  StaffAccount,
  StaffSession,
  Status,
  Ticket,
  UnsyncedList,
  UnsyncedRecord,
  WindowState,
} from '../src/backend/types'
import { APP_STATE_KEY, createAppState, type AppState } from '../src/composables/appState'
import { createAppI18n } from '../src/i18n'
import type {
  ApplicantCard,
  BundleExport,
  Catalogue,
  CaseApplicant,
  CaseSummary,
  CaseView,
  CustomerScreen,
  EvaluatorOutcome,
  Item,
  ProgressView,
  RatingView,
} from '../src/backend/types'
import { makeApplicantCard, makeCase, makeCatalogue, makeNameplate, makeProgress } from './applicationFixtures'

// Unmount every wrapper after each test: screens add window listeners (idle timer) and timers.
enableAutoUnmount(afterEach)

export function makeStatus(overrides: Partial<Status> = {}): Status {
  return {
    terminal: {
      id: 'T-QT-01',
      label: '1 号取号机',
      outlet: '海口市民游客中心',
      hall_id: 'HK-01',
      fault_hotline: '0898-12345',
    },
    mode: 'queue-ticket',
    languages: ['zh-CN', 'en'],
    default_language: 'zh-CN',
    elder_mode: false,
    idle_timeout_secs: 60,
    devices: [
      { class: 'ticket_printer', driver: 'escpos-tcp', target: '127.0.0.1:9100', status: 'ok', detail: null },
      { class: 'id_reader', driver: 'sim', target: '/dev/pts/3', status: 'offline', detail: 'no answer' },
    ],
    queue: {
      categories: [
        { code: 'A', name: { 'zh-CN': '综合业务', en: 'General services' } },
        { code: 'B', name: { 'zh-CN': '社保医保' } },
      ],
    },
    sync: { server: 'https://sync.example.gov.cn', state: 'online', last_sync_at: null, pending: 0, refused: 0 },
    version: '0.1.0',
    server_time: new Date().toISOString(),
    ...overrides,
  }
}

export function makeTicket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'tk-1',
    number: 'A001',
    category: 'A',
    category_name: { 'zh-CN': '综合业务', en: 'General services' },
    issued_at: '2026-11-23T09:15:00+08:00',
    issued_by: 'T-QT-01',
    people_ahead: 3,
    status: 'waiting',
    printed: true,
    print_error: null,
    sync_status: 'local',
    priority: 'normal',
    applicant: null,
    appointment: null,
    window: null,
    called_at: null,
    recalls: 0,
    transferred_from: null,
    ...overrides,
  }
}

export function makeIdentity(overrides: Partial<Identity> = {}): Identity {
  return {
    token: 'tok-1',
    name: '张*三',
    id_number: '4601**********1234',
    age: 72,
    elderly: true,
    appointments: [],
    ...overrides,
  }
}

export const NO_RATINGS: RatingKpi = { total: 0, by_grade: [0, 0, 0, 0, 0], defaulted: 0, good_pct: null }
const ZERO_KPI = { called: 0, served: 0, no_shows: 0, avg_wait_secs: null, avg_service_secs: null, ratings: NO_RATINGS }

export function makeWindowState(overrides: Partial<WindowState> = {}): WindowState {
  return {
    window: 3,
    label: '3 号窗口',
    categories: ['A', 'B'],
    staff: [
      { id: 's1', name: '王芳' },
      { id: 's2', name: '李明' },
    ],
    session: { staff_id: 's1', staff_name: '王芳', opened_at: '2026-11-23T08:30:00+08:00', paused: false },
    current: null,
    lost: null,
    recalls_before_no_show: 2,
    waiting: 4,
    kpi: { ...ZERO_KPI },
    ...overrides,
  }
}

export function makeCalls(overrides: Partial<Calls> = {}): Calls {
  return {
    windows: [
      { window: 1, label: '1 号窗口', open: true, paused: false, current: { number: 'A012', called_at: '2026-11-23T09:30:00+08:00' } },
      { window: 2, label: '2 号窗口', open: true, paused: true, current: null },
      { window: 3, label: '3 号窗口', open: false, paused: false, current: null },
    ],
    recent: [
      { number: 'A012', window: 1, called_at: '2026-11-23T09:30:00+08:00' },
      { number: 'B003', window: 2, called_at: '2026-11-23T09:28:00+08:00' },
    ],
    waiting: [
      { category: 'A', name: { 'zh-CN': '综合业务', en: 'General services' }, n: 5 },
      { category: 'B', name: { 'zh-CN': '社保医保' }, n: 0 },
    ],
    ...overrides,
  }
}

export function makeKpi(overrides: Partial<Kpi> = {}): Kpi {
  return {
    day: '2026-11-23',
    hall: {
      windows_open: 2,
      waiting: 5,
      served: 17,
      no_shows: 1,
      avg_wait_secs: 420,
      by_category: [
        { category: 'A', name: { 'zh-CN': '综合业务', en: 'General services' }, waiting: 5, served: 12, avg_wait_secs: 400 },
        { category: 'B', name: { 'zh-CN': '社保医保' }, waiting: 0, served: 5, avg_wait_secs: 480 },
      ],
      by_hour: [
        { hour: 9, issued: 14, served: 9, avg_wait_secs: 300 },
        { hour: 10, issued: 8, served: 8, avg_wait_secs: 500 },
      ],
      ratings: { total: 3, by_grade: [1, 1, 0, 1, 0], defaulted: 1, good_pct: 200 / 3 },
    },
    windows: [
      {
        window: 1,
        called: 10,
        served: 9,
        no_shows: 1,
        avg_wait_secs: 400,
        avg_service_secs: 310,
        ratings: { total: 2, by_grade: [1, 0, 0, 1, 0], defaulted: 0, good_pct: 50 },
      },
    ],
    staff: [
      {
        staff_id: 's1',
        name: '王芳',
        called: 10,
        served: 9,
        no_shows: 1,
        avg_wait_secs: 400,
        avg_service_secs: 310,
        ratings: NO_RATINGS,
      },
    ],
    ...overrides,
  }
}

export function makeHallSetup(overrides: Partial<HallSetup> = {}): HallSetup {
  return {
    hall_id: 'HK-01',
    version: 3,
    updated_at: '2026-11-22T18:00:00+08:00',
    categories: [
      { code: 'A', name: { 'zh-CN': '综合业务', en: 'General services' }, windows: [1, 3] },
      { code: 'B', name: { 'zh-CN': '社保医保' }, windows: [2] },
    ],
    windows: [
      { number: 1, label: '1 号窗口' },
      { number: 2, label: '2 号窗口' },
      { number: 3, label: '3 号窗口' },
    ],
    staff: [{ id: 's1', name: '王芳', windows: [1, 3] }],
    ticket_machines: ['T-QT-01', 'T-QT-02'],
    ...overrides,
  }
}

export function makeUnsynced(overrides: Partial<UnsyncedRecord> = {}): UnsyncedRecord {
  return {
    id: '0195f3a4-7b2c-7d10-9a3e-4c5d6e7f8a9b',
    kind: 'ticket',
    label: 'A001',
    status: 'local',
    reason: { code: 'sync.offline', message: 'the sync server cannot be reached; the record is sent once it can' },
    changed_at: '2026-11-23T01:15:00Z',
    ...overrides,
  }
}

export const ALL_PERMISSIONS = [
  'view-status',
  'take-ticket',
  'view-calls',
  'serve-window',
  'view-tickets',
  'view-hall-kpi',
  'manage-hall',
  'manage-staff',
  'view-personal-data',
  'view-sync-status',
  'field-intake',
  'view-audit',
  'manage-fleet',
]

export function makeSession(overrides: Partial<StaffSession> = {}): StaffSession {
  return {
    token: 'sess-token-1',
    staff_id: 's1',
    name: '王芳',
    hall_id: 'HK-01',
    roles: ['clerk', 'hall-manager'],
    windows: [3],
    permissions: [...ALL_PERMISSIONS],
    idle_minutes: 15,
    ...overrides,
  }
}

export function makeStaffAccount(overrides: Partial<StaffAccount> = {}): StaffAccount {
  return {
    staff_id: 's1',
    name: '王芳',
    hall_id: 'HK-01',
    roles: ['clerk'],
    windows: [3],
    has_password: true,
    must_change_password: false,
    has_card_login: false,
    disabled: false,
    updated_at: '2026-11-23T08:00:00+08:00',
    ...overrides,
  }
}

/**
 * A Backend whose calls are vi.fn()s and whose events the test emits by hand. */
export class FakeBackend implements Backend {
  readonly transport = 'http' as const
  private handlers = new Set<(e: BackendEvent) => void>()
  private connHandlers = new Set<(s: ConnectionState) => void>()
  private conn: ConnectionState = 'open'
  statusValue: Status

  status = vi.fn(async (): Promise<Status> => this.statusValue)
  issueTicket = vi.fn(async (category: string): Promise<Ticket> => makeTicket({ category }))
  listTickets = vi.fn(async (): Promise<Ticket[]> => [])
  unsyncedRecords = vi.fn(async (): Promise<UnsyncedList> => ({ total: 0, records: [] }))
  identify = vi.fn(async (): Promise<Identity> => makeIdentity())
  checkIn = vi.fn(async (): Promise<Ticket> => makeTicket({ priority: 'appointment' }))
  windowState = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowSignIn = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowSignOut = vi.fn(async (): Promise<WindowState> => makeWindowState({ session: null }))
  windowCallNext = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowRecall = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowNoShow = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowFinish = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowPause = vi.fn(async (): Promise<WindowState> => makeWindowState())
  windowTransfer = vi.fn(async (): Promise<WindowState> => makeWindowState())
  calls = vi.fn(async (): Promise<Calls> => makeCalls())
  kpi = vi.fn(async (): Promise<Kpi> => makeKpi())
  hallSetup = vi.fn(async (): Promise<HallSetup | null> => makeHallSetup())
  importHall = vi.fn(async (): Promise<HallSetup> => makeHallSetup())
  windowApplicant = vi.fn(async (): Promise<FullApplicant> => ({ name: '张三丰', id_number: '460100195001011234', age: 76 }))
  login = vi.fn(async (staffId: string): Promise<StaffSession> => {
    const session = makeSession({ staff_id: staffId })
    this.setSession(session)
    return session
  })
  loginCard = vi.fn(async (): Promise<StaffSession> => {
    const session = makeSession()
    this.setSession(session)
    return session
  })
  logout = vi.fn(async (): Promise<void> => this.setSession(null))
  refreshSession = vi.fn(async (): Promise<StaffSession | null> => this.sessionValue)
  changePassword = vi.fn(async (): Promise<void> => undefined)
  staffList = vi.fn(async (): Promise<StaffAccount[]> => [makeStaffAccount()])
  saveStaff = vi.fn(async (): Promise<StaffAccount> => makeStaffAccount())
  verifyAudit = vi.fn(async (): Promise<AuditCheck> => ({ ok: true, events: 42, problem: null }))
  unlockKiosk = vi.fn(async (_pin: string): Promise<void> => undefined)
  resetSession = vi.fn(async (): Promise<number> => 0)
  // Fleet calls answer "nothing yet" unless a test says otherwise (fixtures in fleetFixtures.ts).
  fleetTerminals = vi.fn(async (): Promise<FleetTerminals> => ({ offline_after_minutes: 5, terminals: [] }))
  fleetRollouts = vi.fn(async (): Promise<RolloutView[]> => [])
  fleetValidateProfile = vi.fn(async (): Promise<ProfileError[]> => [])
  fleetProfileSchema = vi.fn(async (): Promise<JsonSchema> => ({ type: 'object', properties: {} }))
  fleetPublish = vi.fn(async (): Promise<RolloutView> => {
    throw new Error('fleetPublish: no answer set by the test')
  })
  fleetAdvance = vi.fn(async (): Promise<RolloutView> => {
    throw new Error('fleetAdvance: no answer set by the test')
  })
  fleetRollback = vi.fn(async (): Promise<RolloutView> => {
    throw new Error('fleetRollback: no answer set by the test')
  })
  // Applications: the fixture catalogue and one draft case unless a test says otherwise.
  catalogue = vi.fn(async (): Promise<Catalogue> => makeCatalogue())
  searchCatalogue = vi.fn(async (_q: string): Promise<Item[]> => [])
  startCase = vi.fn(async (_itemCode: string, _who?: CaseApplicant): Promise<CaseView> => makeCase())
  getCase = vi.fn(async (): Promise<CaseView> => makeCase())
  saveDraft = vi.fn(async (_id: string, patch: { answers?: Record<string, string>; form?: Record<string, string> }) =>
    makeCase({ answers: patch.answers ?? {}, form: { name: '张三丰', ...(patch.form ?? {}) } }),
  )
  captureMaterialPage = vi.fn(async (): Promise<CaseView> => makeCase())
  addMaterialPages = vi.fn(async (): Promise<CaseView> => makeCase())
  signCase = vi.fn(async (): Promise<CaseView> => makeCase())
  submitCase = vi.fn(async (): Promise<CaseView> => makeCase({ status: 'submitted' }))
  rateCase = vi.fn(
    async (): Promise<RatingView> => ({ case_number: 'LS20261124000001', grade: 'satisfied', submitted_at_ms: 0 }),
  )
  rateWithEvaluator = vi.fn(
    async (_id: string): Promise<EvaluatorOutcome> => ({
      grade: 'satisfied',
      rating: { case_number: 'LS20261124000001', grade: 'satisfied', submitted_at_ms: 0 },
    }),
  )
  caseProgress = vi.fn(async (_n: string): Promise<ProgressView> => makeProgress())
  scanCaseProgress = vi.fn(async (): Promise<ProgressView> => makeProgress())
  customerScreenValue: CustomerScreen = makeNameplate()
  customerScreen = vi.fn(async (): Promise<CustomerScreen> => this.customerScreenValue)
  showOnCustomerScreen = vi.fn(async (_caseId: string, _show: 'confirm' | 'rate'): Promise<CustomerScreen> => this.customerScreenValue)
  clearCustomerScreen = vi.fn(async (): Promise<CustomerScreen> => makeNameplate())
  customerScreenSign = vi.fn(async (_offer: string, _png: string): Promise<CustomerScreen> => this.customerScreenValue)
  customerScreenDispute = vi.fn(async (_offer: string): Promise<CustomerScreen> => this.customerScreenValue)
  customerScreenRate = vi.fn(
    async (_offer: string): Promise<RatingView> => ({ case_number: 'LS20261124000001', grade: 'satisfied', submitted_at_ms: 0 }),
  )
  openCases = vi.fn(async (): Promise<CaseSummary[]> => [])
  lookupCases = vi.fn(async (): Promise<CaseSummary[]> => [])
  readApplicantCard = vi.fn(async (): Promise<ApplicantCard> => makeApplicantCard())
  markMaterial = vi.fn(async (): Promise<CaseView> => makeCase())
  decideCase = vi.fn(async (): Promise<CaseView> => makeCase())
  preReviewCase = vi.fn(async (): Promise<CaseView> => makeCase({ status: 'pre_review_passed' }))
  publishCatalogue = vi.fn(async (): Promise<{ version: number }> => ({ version: 4 }))
  exportBundle = vi.fn(
    async (_passphrase: string): Promise<BundleExport> => ({ file: '/media/usb/banshi-T-QT-01.bundle', records: 3, blobs: 1 }),
  )
  /** Logged in with every permission unless a test says otherwise. */
  sessionValue: StaffSession | null = makeSession()
  private sessionHandlers = new Set<(s: StaffSession | null) => void>()

  currentSession(): StaffSession | null {
    return this.sessionValue
  }
  onSession(handler: (s: StaffSession | null) => void): () => void {
    this.sessionHandlers.add(handler)
    return () => this.sessionHandlers.delete(handler)
  }
  setSession(session: StaffSession | null): void {
    this.sessionValue = session
    for (const h of [...this.sessionHandlers]) h(session)
  }

  constructor(status: Status = makeStatus()) {
    this.statusValue = status
  }

  subscribe(handler: (e: BackendEvent) => void): () => void {
    this.handlers.add(handler)
    return () => this.handlers.delete(handler)
  }
  connectionState(): ConnectionState {
    return this.conn
  }
  onConnection(handler: (s: ConnectionState) => void): () => void {
    this.connHandlers.add(handler)
    return () => this.connHandlers.delete(handler)
  }
  close(): void {}

  emit(event: BackendEvent): void {
    for (const h of [...this.handlers]) h(event)
  }
  setConnection(state: ConnectionState): void {
    this.conn = state
    for (const h of [...this.connHandlers]) h(state)
  }
  get subscribers(): number {
    return this.handlers.size
  }
}

/** Start an AppState on the fake backend and wait for its first status. */
export async function readyState(backend: Backend): Promise<AppState> {
  const state = createAppState(backend)
  state.start()
  await state.ready()
  return state
}

export async function mountView<C extends Component>(
  component: C,
  backend: FakeBackend,
  options: { locale?: string; props?: Record<string, unknown>; attach?: boolean; router?: Router } = {},
) {
  const state = await readyState(backend)
  const i18n = createAppI18n(options.locale ?? 'zh-CN')
  const mountOptions = {
    props: options.props,
    attachTo: options.attach ? document.body : undefined,
    global: {
      plugins: options.router ? [i18n, options.router] : [i18n],
      provide: {
        [BACKEND_KEY as symbol]: backend,
        [APP_STATE_KEY as symbol]: state,
      },
    },
  } as ComponentMountingOptions<C>
  const wrapper = mount(component, mountOptions)
  await flushPromises()
  return { wrapper, state, i18n }
}
