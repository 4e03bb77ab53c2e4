// Light shape checks for what the backend sends. The backend is ours, but the HTTP transport may sit behind a
// proxy or talk to an older build: a clear `client.bad_response` beats a blank screen from `undefined.terminal`.

import { BackendError, CLIENT_ERRORS } from './errors'
import type {
  AuditCheck,
  BackendEvent,
  BackendEventType,
  Calls,
  FleetTerminals,
  FullApplicant,
  JsonSchema,
  ProfileError,
  RolloutView,
  HallSetup,
  Identity,
  Kpi,
  StaffAccount,
  StaffSession,
  Status,
  Ticket,
  UnsyncedList,
  WindowState,
  Catalogue,
  CaseSummary,
  CaseView,
  Item,
  ProgressView,
  RatingView,
  ApplicantCard,
  BundleExport,
  CaseNotice,
  CustomerScreen,
  EvaluatorOutcome,
} from './types'
import { CASE_STATUSES, GRADES, ITEM_CATEGORIES, NOTICE_KINDS, RUN_MODES } from './types'

const EVENT_TYPES: readonly BackendEventType[] = [
  'tickets.changed',
  'devices.changed',
  'sync.changed',
  'status.changed',
  'cases.changed',
  'customer_screen.changed',
]

/**
 * Parse one event: a WebSocket message's text, or a Tauri event payload (already an object, or JSON text).
 * Returns null for anything that is not a known event; unknown types are ignored so that a newer backend can add
 * events without breaking an older UI.
 */
export function parseEvent(data: unknown): BackendEvent | null {
  let value = data
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return null
    }
  }
  if (typeof value !== 'object' || value === null) return null
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) return null
  return { type: type as BackendEventType }
}

function bad(what: string): BackendError {
  return new BackendError(CLIENT_ERRORS.badResponse, `unexpected ${what} from the backend`)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function checkStatus(value: unknown): Status {
  if (
    !isObject(value) ||
    !isObject(value.terminal) ||
    typeof value.terminal.id !== 'string' ||
    typeof value.mode !== 'string' ||
    !(RUN_MODES as readonly string[]).includes(value.mode) ||
    !Array.isArray(value.languages) ||
    !Array.isArray(value.devices) ||
    !isObject(value.queue) ||
    !Array.isArray(value.queue.categories) ||
    !isObject(value.sync)
  ) {
    throw bad('status')
  }
  return value as unknown as Status
}

export function checkTicket(value: unknown): Ticket {
  if (
    !isObject(value) ||
    typeof value.id !== 'string' ||
    typeof value.number !== 'string' ||
    typeof value.category !== 'string' ||
    typeof value.issued_at !== 'string' ||
    typeof value.status !== 'string'
  ) {
    throw bad('ticket')
  }
  return value as unknown as Ticket
}

export function checkTicketList(value: unknown): Ticket[] {
  if (!Array.isArray(value)) throw bad('ticket list')
  return value.map(checkTicket)
}

export function checkUnsyncedList(value: unknown): UnsyncedList {
  if (!isObject(value) || typeof value.total !== 'number' || !Array.isArray(value.records)) {
    throw bad('list of unsynced records')
  }
  for (const r of value.records) {
    if (
      !isObject(r) ||
      typeof r.id !== 'string' ||
      typeof r.kind !== 'string' ||
      typeof r.label !== 'string' ||
      typeof r.status !== 'string' ||
      !isObject(r.reason) ||
      typeof r.reason.code !== 'string'
    ) {
      throw bad('unsynced record')
    }
  }
  return value as unknown as UnsyncedList
}

export function checkIdentity(value: unknown): Identity {
  if (
    !isObject(value) ||
    typeof value.token !== 'string' ||
    typeof value.name !== 'string' ||
    typeof value.id_number !== 'string' ||
    typeof value.age !== 'number' ||
    typeof value.elderly !== 'boolean' ||
    !Array.isArray(value.appointments)
  ) {
    throw bad('identity')
  }
  return value as unknown as Identity
}

export function checkWindowState(value: unknown): WindowState {
  if (
    !isObject(value) ||
    typeof value.window !== 'number' ||
    !Array.isArray(value.categories) ||
    !Array.isArray(value.staff) ||
    !(value.session === null || isObject(value.session)) ||
    !(value.current === null || isObject(value.current)) ||
    typeof value.recalls_before_no_show !== 'number' ||
    !isObject(value.kpi)
  ) {
    throw bad('window state')
  }
  if (value.current !== null) checkTicket(value.current)
  return value as unknown as WindowState
}

export function checkCalls(value: unknown): Calls {
  if (
    !isObject(value) ||
    !Array.isArray(value.windows) ||
    !Array.isArray(value.recent) ||
    !Array.isArray(value.waiting) ||
    !value.windows.every((w) => isObject(w) && typeof w.window === 'number') ||
    !value.recent.every((r) => isObject(r) && typeof r.number === 'string') ||
    !value.waiting.every((r) => isObject(r) && typeof r.category === 'string' && typeof r.n === 'number')
  ) {
    throw bad('call screen data')
  }
  return value as unknown as Calls
}

export function checkKpi(value: unknown): Kpi {
  if (
    !isObject(value) ||
    !isObject(value.hall) ||
    !Array.isArray(value.hall.by_category) ||
    !Array.isArray(value.hall.by_hour) ||
    !Array.isArray(value.windows) ||
    !Array.isArray(value.staff)
  ) {
    throw bad('KPIs')
  }
  return value as unknown as Kpi
}

export function checkHallSetup(value: unknown): HallSetup {
  if (
    !isObject(value) ||
    typeof value.hall_id !== 'string' ||
    !Array.isArray(value.categories) ||
    !Array.isArray(value.windows) ||
    !Array.isArray(value.staff) ||
    !Array.isArray(value.ticket_machines)
  ) {
    throw bad('hall set-up')
  }
  return value as unknown as HallSetup
}

/** GET /api/hall answers null before a hall file was imported. */
export function checkOptionalHallSetup(value: unknown): HallSetup | null {
  return value === null ? null : checkHallSetup(value)
}

function isStringArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

function isNumberArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'number')
}

export function checkStaffSession(value: unknown): StaffSession {
  if (
    !isObject(value) ||
    typeof value.token !== 'string' ||
    value.token === '' ||
    typeof value.staff_id !== 'string' ||
    typeof value.name !== 'string' ||
    !isStringArray(value.roles) ||
    !isNumberArray(value.windows) ||
    !isStringArray(value.permissions) ||
    typeof value.idle_minutes !== 'number'
  ) {
    throw bad('login')
  }
  return { ...(value as unknown as StaffSession), hall_id: typeof value.hall_id === 'string' ? value.hall_id : null }
}

export function checkStaffAccount(value: unknown): StaffAccount {
  if (
    !isObject(value) ||
    typeof value.staff_id !== 'string' ||
    typeof value.name !== 'string' ||
    !isStringArray(value.roles) ||
    !isNumberArray(value.windows) ||
    typeof value.has_password !== 'boolean' ||
    typeof value.must_change_password !== 'boolean' ||
    typeof value.has_card_login !== 'boolean' ||
    typeof value.disabled !== 'boolean'
  ) {
    throw bad('staff account')
  }
  return value as unknown as StaffAccount
}

export function checkStaffList(value: unknown): StaffAccount[] {
  if (!Array.isArray(value)) throw bad('staff list')
  return value.map(checkStaffAccount)
}

export function checkFullApplicant(value: unknown): FullApplicant {
  if (
    !isObject(value) ||
    typeof value.name !== 'string' ||
    typeof value.id_number !== 'string' ||
    typeof value.age !== 'number'
  ) {
    throw bad('applicant')
  }
  return value as unknown as FullApplicant
}

export function checkAuditCheck(value: unknown): AuditCheck {
  if (
    !isObject(value) ||
    typeof value.ok !== 'boolean' ||
    typeof value.events !== 'number' ||
    !(value.problem === null || value.problem === undefined || (isObject(value.problem) && typeof value.problem.code === 'string'))
  ) {
    throw bad('audit check')
  }
  return { ok: value.ok, events: value.events, problem: (value.problem ?? null) as AuditCheck['problem'] }
}

export function checkFleetTerminals(value: unknown): FleetTerminals {
  if (
    !isObject(value) ||
    typeof value.offline_after_minutes !== 'number' ||
    !Array.isArray(value.terminals) ||
    !value.terminals.every(
      (t) =>
        isObject(t) &&
        typeof t.id === 'string' &&
        typeof t.online === 'boolean' &&
        Array.isArray(t.devices) &&
        isStringArray(t.faults) &&
        Array.isArray(t.recent_errors) &&
        (t.applied === null || t.applied === undefined || isObject(t.applied)),
    )
  ) {
    throw bad('fleet terminal list')
  }
  return value as unknown as FleetTerminals
}

export function checkRollout(value: unknown): RolloutView {
  if (
    !isObject(value) ||
    typeof value.release_id !== 'string' ||
    !isObject(value.group) ||
    typeof value.group.mode !== 'string' ||
    typeof value.version !== 'number' ||
    typeof value.stage_percent !== 'number' ||
    typeof value.state !== 'string' ||
    typeof value.target_count !== 'number' ||
    typeof value.applied_count !== 'number' ||
    typeof value.failed_count !== 'number' ||
    typeof value.profile_toml !== 'string'
  ) {
    throw bad('rollout')
  }
  return value as unknown as RolloutView
}

export function checkRolloutList(value: unknown): RolloutView[] {
  if (!Array.isArray(value)) throw bad('rollout list')
  return value.map(checkRollout)
}

export function checkProfileErrors(value: unknown): ProfileError[] {
  if (
    !isObject(value) ||
    !Array.isArray(value.errors) ||
    !value.errors.every(
      (e) => isObject(e) && typeof e.line === 'number' && typeof e.column === 'number' && typeof e.code === 'string',
    )
  ) {
    throw bad('profile validation')
  }
  return value.errors as ProfileError[]
}

export function checkJsonSchema(value: unknown): JsonSchema {
  if (!isObject(value)) throw bad('profile schema')
  return value
}

// ---- Applications ----

function isConditionList(v: unknown): boolean {
  return Array.isArray(v) && v.every((c) => isObject(c) && typeof c.question === 'string' && typeof c.option === 'string')
}

function isCaseStatus(v: unknown): boolean {
  return typeof v === 'string' && (CASE_STATUSES as readonly string[]).includes(v)
}

function isHistory(v: unknown): boolean {
  return Array.isArray(v) && v.every((h) => isObject(h) && isCaseStatus(h.status) && typeof h.at_ms === 'number')
}

function isStringMap(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string')
}

/**
 * An item with its situation tree: the screens walk `questions`, `materials` and `form` by their `when`
 * conditions, so a malformed tree is refused here rather than half-rendered.
 */
export function checkItem(value: unknown): Item {
  if (
    !isObject(value) ||
    typeof value.code !== 'string' ||
    typeof value.name !== 'string' ||
    typeof value.pinyin !== 'string' ||
    typeof value.category !== 'string' ||
    !(ITEM_CATEGORIES as readonly string[]).includes(value.category) ||
    !isObject(value.guide) ||
    !Array.isArray(value.guide.process) ||
    !Array.isArray(value.questions) ||
    !Array.isArray(value.materials) ||
    !Array.isArray(value.form)
  ) {
    throw bad('catalogue item')
  }
  for (const q of value.questions) {
    if (
      !isObject(q) ||
      typeof q.id !== 'string' ||
      typeof q.text !== 'string' ||
      !Array.isArray(q.options) ||
      !q.options.every((o) => isObject(o) && typeof o.id === 'string' && typeof o.label === 'string') ||
      !isConditionList(q.when ?? [])
    ) {
      throw bad(`question of item ${value.code}`)
    }
  }
  for (const m of value.materials) {
    if (
      !isObject(m) ||
      typeof m.id !== 'string' ||
      typeof m.name !== 'string' ||
      typeof m.medium !== 'string' ||
      typeof m.requirement !== 'string' ||
      !isConditionList(m.when ?? [])
    ) {
      throw bad(`material of item ${value.code}`)
    }
  }
  for (const f of value.form) {
    if (!isObject(f) || typeof f.field !== 'string' || !isConditionList(f.when ?? [])) {
      throw bad(`form field of item ${value.code}`)
    }
  }
  return value as unknown as Item
}

export function checkItemList(value: unknown): Item[] {
  if (!Array.isArray(value)) throw bad('item list')
  return value.map(checkItem)
}

export function checkCatalogue(value: unknown): Catalogue {
  if (
    !isObject(value) ||
    typeof value.version !== 'number' ||
    !Array.isArray(value.fields) ||
    !value.fields.every((f) => isObject(f) && typeof f.code === 'string' && typeof f.kind === 'string') ||
    !Array.isArray(value.items)
  ) {
    throw bad('catalogue')
  }
  value.items.forEach(checkItem)
  return value as unknown as Catalogue
}

export function checkCaseView(value: unknown): CaseView {
  if (
    !isObject(value) ||
    typeof value.id !== 'string' ||
    typeof value.number !== 'string' ||
    typeof value.provisional_number !== 'string' ||
    !(value.official_number === null || typeof value.official_number === 'string') ||
    typeof value.item_code !== 'string' ||
    !isCaseStatus(value.status) ||
    !isStringMap(value.answers) ||
    !isStringMap(value.form) ||
    !Array.isArray(value.materials) ||
    !value.materials.every((m) => isObject(m) && typeof m.id === 'string' && typeof m.pages === 'number') ||
    !isStringArray(value.missing_materials) ||
    !isStringArray(value.missing_fields) ||
    !isObject(value.collection) ||
    !(value.handover === null || value.handover === undefined || typeof value.handover === 'string') ||
    !isHistory(value.history) ||
    !(value.notices === undefined || isNoticeList(value.notices)) ||
    !(value.progress_url === undefined || typeof value.progress_url === 'string') ||
    typeof value.rated !== 'boolean'
  ) {
    throw bad('case')
  }
  // Builds older than the notices send neither list nor URL: an empty list, no URL.
  return {
    ...(value as unknown as CaseView),
    handover: (value.handover ?? null) as string | null,
    notices: (value.notices ?? []) as CaseNotice[],
    progress_url: (value.progress_url ?? '') as string,
    signed: value.signed === true,
  }
}

function isNoticeList(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every(
      (n) =>
        isObject(n) &&
        typeof n.kind === 'string' &&
        (NOTICE_KINDS as readonly string[]).includes(n.kind) &&
        typeof n.at_ms === 'number' &&
        typeof n.printed === 'boolean',
    )
  )
}

export function checkCaseSummaryList(value: unknown): CaseSummary[] {
  if (
    !Array.isArray(value) ||
    !value.every(
      (c) => isObject(c) && typeof c.id === 'string' && typeof c.number === 'string' && isCaseStatus(c.status),
    )
  ) {
    throw bad('case list')
  }
  return value as CaseSummary[]
}

export function checkProgress(value: unknown): ProgressView {
  if (
    !isObject(value) ||
    typeof value.number !== 'string' ||
    typeof value.item_name !== 'string' ||
    !isCaseStatus(value.status) ||
    !isHistory(value.history) ||
    !isStringArray(value.missing_materials) ||
    !(value.deadline === null || value.deadline === undefined || typeof value.deadline === 'string')
  ) {
    throw bad('progress')
  }
  return {
    ...(value as unknown as ProgressView),
    official_number: (value.official_number ?? null) as string | null,
    promised_days: (value.promised_days ?? null) as number | null,
    deadline: (value.deadline ?? null) as string | null,
  }
}

export function checkRatingView(value: unknown): RatingView {
  if (!isObject(value) || typeof value.case_number !== 'string' || typeof value.grade !== 'string') {
    throw bad('rating')
  }
  return value as unknown as RatingView
}

export function checkApplicantCard(value: unknown): ApplicantCard {
  if (
    !isObject(value) ||
    typeof value.token !== 'string' ||
    value.token === '' ||
    typeof value.name_masked !== 'string' ||
    typeof value.id_number_masked !== 'string'
  ) {
    throw bad('ID card')
  }
  return { ...(value as unknown as ApplicantCard), cases: checkCaseSummaryList(value.cases) }
}

export function checkEvaluatorOutcome(value: unknown): EvaluatorOutcome {
  if (
    !isObject(value) ||
    typeof value.grade !== 'string' ||
    !(GRADES as readonly string[]).includes(value.grade) ||
    !(value.rating === null || value.rating === undefined || isObject(value.rating))
  ) {
    throw bad('evaluator answer')
  }
  const rating = value.rating === null || value.rating === undefined ? null : checkRatingView(value.rating)
  return { grade: value.grade as EvaluatorOutcome['grade'], rating }
}

const CUSTOMER_ANSWERS: readonly string[] = ['signed', 'disputed', 'rated']

/** What the customer screen shows; anything else is refused rather than half-shown to an applicant. */
export function checkCustomerScreen(value: unknown): CustomerScreen {
  if (!isObject(value) || typeof value.screen !== 'string') throw bad('customer screen')
  const offerOk = typeof value.offer === 'string'
  switch (value.screen) {
    case 'nameplate':
      if (typeof value.window === 'number' && typeof value.label === 'string' && typeof value.paused === 'boolean') {
        return value as unknown as CustomerScreen
      }
      break
    case 'confirm': {
      const c = value.case
      if (
        offerOk &&
        isObject(c) &&
        typeof c.number === 'string' &&
        typeof c.item_name === 'string' &&
        Array.isArray(c.fields) &&
        c.fields.every((f) => isObject(f) && typeof f.label === 'string' && typeof f.value === 'string') &&
        Array.isArray(c.materials) &&
        c.materials.every((m) => isObject(m) && typeof m.name === 'string' && typeof m.pages === 'number') &&
        isObject(c.collection) &&
        typeof c.signed === 'boolean'
      ) {
        return value as unknown as CustomerScreen
      }
      break
    }
    case 'rate':
      if (offerOk && typeof value.case_number === 'string' && typeof value.item_name === 'string') {
        return value as unknown as CustomerScreen
      }
      break
    case 'answered':
      if (offerOk && typeof value.answer === 'string' && CUSTOMER_ANSWERS.includes(value.answer)) {
        return value as unknown as CustomerScreen
      }
      break
  }
  throw bad('customer screen')
}

export function checkBundleExport(value: unknown): BundleExport {
  if (
    !isObject(value) ||
    typeof value.file !== 'string' ||
    typeof value.records !== 'number' ||
    typeof value.blobs !== 'number'
  ) {
    throw bad('bundle export')
  }
  return { file: value.file, records: value.records, blobs: value.blobs }
}

export function checkPublishedCatalogue(value: unknown): { version: number } {
  if (!isObject(value) || typeof value.version !== 'number') throw bad('catalogue publication')
  return { version: value.version }
}
