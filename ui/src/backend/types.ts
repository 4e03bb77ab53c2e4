// The front end's view of the terminal backend. These shapes mirror what the Rust side serialises for both the
// Tauri commands and the `banshi serve` HTTP API, so one set of screens works on either transport.

export type RunMode =
  | 'self-service'
  | 'queue-ticket'
  | 'call-screen'
  | 'window'
  | 'field'
  | 'office'
  | 'background'
  | 'admin'

export const RUN_MODES: readonly RunMode[] = [
  'self-service',
  'queue-ticket',
  'call-screen',
  'window',
  'field',
  'office',
  'background',
  'admin',
]

/** A localised name: BCP 47 tag → text. "zh-CN" is always present. */
export type LocalizedName = Record<string, string>

export type DeviceStatus = 'ok' | 'degraded' | 'offline' | 'paper_low' | 'paper_out' | 'unknown'

export interface DeviceInfo {
  /** ticket_printer, receipt_printer, a4_printer, id_reader, qr_scanner, evaluator, document_camera, face_camera, voice */
  class: string
  driver: string
  target: string
  status: DeviceStatus
  detail: string | null
}

export interface QueueCategory {
  code: string
  name: LocalizedName
}

/** `unenrolled`: no enrollment token used yet; `revoked`: an administrator revoked the terminal. */
export type SyncState = 'online' | 'offline' | 'unenrolled' | 'revoked' | 'disabled'

export interface Status {
  terminal: { id: string; label: string; outlet: string; hall_id: string; fault_hotline: string }
  mode: RunMode
  languages: string[]
  default_language: string
  elder_mode: boolean
  idle_timeout_secs: number
  /** Window mode with a customer-facing screen (absent from older backends: none). */
  customer_screen?: boolean
  /** A self-service kiosk that compares the face with the ID card photo (人证核验) before a case starts. */
  face_verification?: boolean
  devices: DeviceInfo[]
  queue: { categories: QueueCategory[] }
  sync: {
    server: string | null
    state: SyncState
    last_sync_at: string | null
    /** Records waiting to be sent (local or sending): the indicator's "n 条待同步". */
    pending: number
    /** Records the server refused; listed with the reason on the /sync screen. */
    refused: number
    /** Scans and photos not yet verified by the server (absent from older backends). */
    pending_blobs?: number
  }
  version: string
  /** RFC 3339 */
  server_time: string
}

/** `serving` is what older backends report for a called ticket; the queue module reports `called`. */
export type TicketStatus = 'waiting' | 'called' | 'serving' | 'done' | 'no_show'
export type TicketSyncStatus = 'local' | 'sending' | 'synced' | 'refused'

/** Calling order: green > disabled = elderly > appointment > normal, then issue time. */
export type Priority = 'normal' | 'appointment' | 'elderly' | 'disabled' | 'green'
export const PRIORITIES: readonly Priority[] = ['normal', 'appointment', 'elderly', 'disabled', 'green']
/** The priorities a resident declares on the queue machine (elderly is decided by the terminal from the card). */
export type DeclaredPriority = 'disabled' | 'green'

export interface ErrorBody {
  code: string
  message: string
}

/** The applicant behind a ticket, masked by the terminal before it reaches the UI. */
export interface Applicant {
  /** masked: 张*三 */
  name: string
  /** masked: 4601**********1234 */
  id_number: string
  age: number
}

export interface Ticket {
  id: string
  /** e.g. "A001" */
  number: string
  /** The current category (after a transfer). */
  category: string
  category_name: LocalizedName
  issued_at: string
  /** terminal id */
  issued_by: string
  people_ahead: number
  status: TicketStatus
  printed: boolean
  print_error: ErrorBody | null
  sync_status: TicketSyncStatus
  priority: Priority
  applicant: Applicant | null
  /** Booking number when the ticket came from an appointment check-in. */
  appointment: string | null
  /** The window that called it (the one that won a concurrent call). */
  window: number | null
  called_at: string | null
  recalls: number
  /** Category it was transferred from, if any. */
  transferred_from: string | null
}

/**
 * One of today's appointments of the identified resident that can be checked in. The contract names the type but
 * not its fields; the booking number and category are what the check-in screen needs, the rest is shown if present.
 */
export interface Appointment {
  booking_number: string
  category: string
  category_name?: LocalizedName
  /** RFC 3339: start and end of the booked slot */
  slot_start?: string
  slot_end?: string
}

/** A resident identified by the ID card on this terminal's reader. The full card stays in the terminal. */
export interface Identity {
  /** Valid for 3 minutes: pass it to issueTicket / checkIn. */
  token: string
  /** masked */
  name: string
  /** masked */
  id_number: string
  age: number
  elderly: boolean
  appointments: Appointment[]
}

/** Today's figures of one window or one member of staff. */
/** 好差评 figures: one rating per case, the day's, never who rated. */
export interface RatingKpi {
  total: number
  /** By grade, 非常满意 first. */
  by_grade: [number, number, number, number, number]
  /** Default grades among them (nobody rated in time). */
  defaulted: number
  /** 好评率 in percent (all but 不满意 and 非常不满意); null before anyone rated. */
  good_pct: number | null
}

export interface StaffKpi {
  called: number
  served: number
  no_shows: number
  avg_wait_secs: number | null
  avg_service_secs: number | null
  ratings: RatingKpi
}

/** Staff roles (kebab-case, as the backend serialises them). */
export type StaffRole = 'clerk' | 'supervisor' | 'hall-manager' | 'field-staff' | 'fleet-admin'
export const STAFF_ROLES: readonly StaffRole[] = ['clerk', 'supervisor', 'hall-manager', 'field-staff', 'fleet-admin']

/** What a role grants; screens show only what the logged-in staff member may do. */
export type Permission =
  | 'view-status'
  | 'take-ticket'
  | 'view-calls'
  | 'serve-window'
  | 'view-tickets'
  | 'view-hall-kpi'
  | 'manage-hall'
  | 'manage-staff'
  | 'view-personal-data'
  | 'view-sync-status'
  | 'field-intake'
  | 'view-audit'
  | 'manage-fleet'

/**
 * A logged-in staff member (POST /api/login, /api/login/card, GET /api/session). The token is a secret: the adapter
 * keeps it in memory only and sends it with every call.
 */
export interface StaffSession {
  token: string
  staff_id: string
  name: string
  hall_id: string | null
  roles: string[]
  windows: number[]
  permissions: string[]
  /** The backend ends the session after this many idle minutes. */
  idle_minutes: number
}

/** A staff account as the manage-staff screen lists it: no secrets, only whether they are set. */
export interface StaffAccount {
  staff_id: string
  name: string
  hall_id: string | null
  roles: string[]
  windows: number[]
  has_password: boolean
  must_change_password: boolean
  has_card_login: boolean
  disabled: boolean
  /** RFC 3339 */
  updated_at: string
}

/** Add or edit a staff account. Absent secrets leave the stored ones unchanged. */
export interface StaffInput {
  staff_id: string
  name: string
  hall_id?: string
  roles: string[]
  windows: number[]
  password?: string
  pin?: string
  /** For card login: the staff member's own ID card number. */
  id_number?: string
  disabled: boolean
  /** The password must be changed at the first login. */
  one_time_password?: boolean
}

/** The current ticket's applicant unmasked (view-personal-data; every opening is audited by the backend). */
export interface FullApplicant {
  name: string
  id_number: string
  age: number
}

/** The audit chain check: `problem` names the first broken event. */
export interface AuditCheck {
  ok: boolean
  events: number
  problem: ErrorBody | null
}

export interface StaffMember {
  id: string
  name: string
}

export interface WindowSession {
  staff_id: string
  staff_name: string
  opened_at: string
  paused: boolean
}

/** The clerk desk's window: who is signed in, the ticket being served, today's figures. */
export interface WindowState {
  /** This desk's window number (profile queue.window). */
  window: number
  label: string
  /** Categories this window serves. */
  categories: string[]
  /** Who may sign in here (from the hall set-up). */
  staff: StaffMember[]
  /** null: the window is closed. */
  session: WindowSession | null
  current: Ticket | null
  /** Set once after this window lost a concurrent call; the terminal has already called the next ticket. */
  lost: { number: string; window: number } | null
  /** The no-show action is refused until current.recalls reaches this. */
  recalls_before_no_show: number
  /** Tickets waiting for this window. */
  waiting: number
  kpi: StaffKpi
}

/** Where a transferred ticket waits again: a category or one window. */
export type TransferTarget = { category: string; window?: undefined } | { window: number; category?: undefined }

/** The call screen's data: no personal data at all (a TV in the hall). Same shape as `/tv/calls.json`. */
export interface Calls {
  windows: {
    window: number
    label: string
    open: boolean
    paused: boolean
    current: { number: string; called_at: string } | null
  }[]
  /** The last 8 calls, newest first. */
  recent: { number: string; window: number; called_at: string }[]
  waiting: { category: string; name: LocalizedName; n: number }[]
}

export interface Kpi {
  day: string
  hall: {
    windows_open: number
    waiting: number
    served: number
    no_shows: number
    avg_wait_secs: number | null
    by_category: { category: string; name: LocalizedName; waiting: number; served: number; avg_wait_secs: number | null }[]
    /** hour: 0-23, hall time */
    by_hour: { hour: number; issued: number; served: number; avg_wait_secs: number | null }[]
    ratings: RatingKpi
  }
  windows: ({ window: number } & StaffKpi)[]
  staff: ({ staff_id: string; name: string } & StaffKpi)[]
}

export interface HallSetup {
  hall_id: string
  version: number
  updated_at: string
  categories: { code: string; name: LocalizedName; windows: number[] }[]
  windows: { number: number; label: string }[]
  staff: { id: string; name: string; windows: number[] }[]
  /** Terminal ids, in order: each numbers its tickets in its own disjoint range. */
  ticket_machines: string[]
}

export interface IssueOptions {
  /** Token from identify(). */
  identity?: string
  priority?: DeclaredPriority
}

/** Check in with the identified card, or with a booking number typed in. */
export interface CheckInRequest {
  identity?: string
  bookingNumber?: string
}

/** A record the server does not hold yet. Named without personal data: a ticket number or a short id. */
export interface UnsyncedRecord {
  id: string
  /** Record kind, e.g. "ticket" (translated by the UI). */
  kind: string
  /** e.g. "A003", or "…6e7f8a9b" for records without a number */
  label: string
  status: Exclude<TicketSyncStatus, 'synced'>
  /**
   * Why it is not synced: sync.disabled / sync.unenrolled / sync.revoked / sync.offline / sync.queued / sync.sending /
   * sync.refused (message: the server's words).
   */
  reason: { code: string; message: string }
  /** RFC 3339: when the record last changed on this terminal */
  changed_at: string
}

export interface UnsyncedList {
  /** All unsynced records; `records` may hold only the longest-waiting of them. */
  total: number
  records: UnsyncedRecord[]
}

/** What a fleet terminal's heartbeat says is wrong with it (the admin console flags each in red). */
export type FleetFault =
  | 'offline'
  | 'device_failing'
  | 'paper_low'
  | 'paper_out'
  | 'profile_refused'
  | 'disk_low'
  | 'revoked'
export const FLEET_FAULTS: readonly FleetFault[] = [
  'offline',
  'device_failing',
  'paper_low',
  'paper_out',
  'profile_refused',
  'disk_low',
  'revoked',
]

export type PaperState = 'ok' | 'low' | 'out' | 'unknown'

/** One terminal of the fleet as the sync server last heard from it (GET /api/fleet/terminals). */
export interface FleetTerminal {
  id: string
  hall_id: string
  /** null until the terminal's first heartbeat (known to the server from its enrollment only). */
  mode: RunMode | null
  label: string | null
  tags: string[]
  online: boolean
  /** RFC 3339: last heartbeat */
  last_seen: string | null
  /** RFC 3339: last successful sync round */
  last_sync: string | null
  software_version: string | null
  /** The group release the terminal runs; null: its installed profile. */
  applied: { release_id: string; version: number } | null
  /** The last release the terminal refused to apply, and why. */
  profile_refused: { release_id: string; version: number; code: string; message: string } | null
  devices: { class: string; status: DeviceStatus; detail: string | null }[]
  paper: PaperState
  disk_free_mb: number | null
  disk_total_mb: number | null
  recent_errors: { at: string; code: string; message: string }[]
  faults: FleetFault[]
}

export interface FleetTerminals {
  /** A terminal without a heartbeat for this long counts as offline. */
  offline_after_minutes: number
  terminals: FleetTerminal[]
}

/** The terminals a release goes to: all of one mode, optionally of one hall, carrying every listed tag. */
export interface FleetGroup {
  hall_id: string | null
  mode: RunMode
  tags: string[]
}

export type RolloutState = 'rolling' | 'halted' | 'complete' | 'rolled_back'

/** A signed group profile release and how far its staged rollout (5 → 20 → 100 %) has got. */
export interface RolloutView {
  release_id: string
  group: FleetGroup
  version: number
  stage_percent: number
  state: RolloutState
  target_count: number
  applied_count: number
  failed_count: number
  halt_reason: string | null
  previous_release_id: string | null
  /** Hex SM2 public key of the admin terminal that signed the release. */
  signer_key: string
  created_at: string
  profile_toml: string
}

/** One finding of the profile validator, positioned in the TOML text (1-based). */
export interface ProfileError {
  line: number
  column: number
  code: string
  message: string
}

/** The profile's JSON Schema as schemars writes it (object with properties, required, $defs). */
export type JsonSchema = Record<string, unknown>

// ---- Applications (事项申办): the service catalogue and cases ----

export type ItemCategory = 'personal' | 'legal' | 'local' | 'query_print'
export const ITEM_CATEGORIES: readonly ItemCategory[] = ['personal', 'legal', 'local', 'query_print']

/** A question, material or form field applies when every condition holds: answers[question] === option. */
export interface Condition {
  question: string
  option: string
}

export type FieldKind = 'text' | 'date' | 'phone' | 'id_number' | 'choice' | 'number'

export interface FieldDef {
  code: string
  label: string
  kind: FieldKind
  choices: string[]
  /** Where the terminal fills it from (card_name, card_id_number, …); null: typed by the applicant. */
  prefill: string | null
  max_len: number | null
}

export interface Question {
  id: string
  text: string
  options: { id: string; label: string }[]
  when: Condition[]
}

export type Medium = 'original' | 'copy' | 'electronic'
export type Requirement = 'mandatory' | 'optional' | 'one_of'

export interface Material {
  id: string
  name: string
  medium: Medium
  copies: number
  requirement: Requirement
  /** Materials of one `one_of` group: any one of them will do. */
  group: string | null
  review_points: string[]
  kiosk_capturable: boolean
  e_certificate: string | null
  when: Condition[]
}

export interface FormField {
  field: string
  required: boolean
  when: Condition[]
}

export interface Guide {
  overview: string
  legal_basis: string
  conditions: string
  process: string[]
  place: string
  hours: string
  faq: { question: string; answer: string }[]
}

export interface Item {
  code: string
  name: string
  pinyin: string
  department: string
  level: string
  category: ItemCategory
  common: boolean
  bookable: boolean
  online_payment: boolean
  courier: boolean
  /** Can be applied for at a self-service kiosk. */
  kiosk: boolean
  statutory_days: number
  promised_days: number
  fees: string
  guide: Guide
  questions: Question[]
  materials: Material[]
  form: FormField[]
  withdrawn: boolean
}

export interface Catalogue {
  version: number
  published_at_ms: number
  fields: FieldDef[]
  items: Item[]
}

export type CaseStatus =
  | 'draft'
  | 'submitted'
  | 'handed_over'
  | 'pre_review'
  | 'pre_review_passed'
  | 'pre_review_rejected'
  | 'accepting'
  | 'accepted'
  | 'accepted_with_missing'
  | 'rejected'
  | 'correction_requested'
  | 'voided'
  | 'reviewing'
  | 'approving'
  | 'completed'
  | 'issued'
  | 'printed'
export const CASE_STATUSES: readonly CaseStatus[] = [
  'draft',
  'submitted',
  'handed_over',
  'pre_review',
  'pre_review_passed',
  'pre_review_rejected',
  'accepting',
  'accepted',
  'accepted_with_missing',
  'rejected',
  'correction_requested',
  'voided',
  'reviewing',
  'approving',
  'completed',
  'issued',
  'printed',
]

export type Collection = { method: 'window' } | { method: 'courier'; address: string } | { method: 'locker' }

export type Decision =
  | { decision: 'accept' }
  | { decision: 'accept_with_missing'; missing: string[]; promise_date: string }
  | { decision: 'reject'; reason: string }
  | { decision: 'request_correction'; materials: string[]; reason: string; deadline: string }

export interface CaseMaterial {
  id: string
  name: string
  medium: Medium
  copies: number
  requirement: Requirement
  review_points: string[]
  kiosk_capturable: boolean
  pages: number
  paper_received: boolean
  reviewed: boolean
  collected: boolean
}

/** One step of a case's history (no personal data). */
export interface CaseStep {
  status: CaseStatus
  at_ms: number
  actor_name: string
  hall: string
  note: string
}

export type Channel = 'kiosk' | 'window' | 'field'

/** The documents a window issues for a case (core/domain `NoticeKind`, snake_case). */
export type NoticeKind =
  | 'receipt'
  | 'acceptance'
  | 'acceptance_with_missing'
  | 'rejection'
  | 'correction'
  | 'material_list'
export const NOTICE_KINDS: readonly NoticeKind[] = [
  'receipt',
  'acceptance',
  'acceptance_with_missing',
  'rejection',
  'correction',
  'material_list',
]

/** A document issued for a case: which one, when, and whether the printer took it. */
export interface CaseNotice {
  kind: NoticeKind
  at_ms: number
  printed: boolean
}

/** A case as the resident's own screen shows it. */
export interface CaseView {
  id: string
  /** The official number once the platform gave one, else the provisional one. */
  number: string
  provisional_number: string
  official_number: string | null
  item_code: string
  item_name: string
  catalogue_version: number
  channel: Channel
  status: CaseStatus
  applicant_name_masked: string
  applicant_id_masked: string
  answers: Record<string, string>
  form: Record<string, string>
  materials: CaseMaterial[]
  /** Material ids */
  missing_materials: string[]
  /** Field codes */
  missing_fields: string[]
  collection: Collection
  /** Why the kiosk handed the case to a window (shown prominently). */
  handover: string | null
  decision: Decision | null
  history: CaseStep[]
  /** The documents issued for the case, oldest first. */
  notices: CaseNotice[]
  /** What the documents' QR carries: the progress page of the case's number. */
  progress_url: string
  rated: boolean
  /** The applicant signed (kiosk pad or the window's customer screen); absent from older backends. */
  signed: boolean
  synced: boolean
  created_at_ms: number
}

/** A line of a case list (open cases, lookup by ID number): the masked name only. */
export interface CaseSummary {
  id: string
  number: string
  item_name: string
  status: CaseStatus
  applicant_name_masked: string
  updated_at_ms: number
}

/** What the progress lookup shows to anyone holding the number. */
export interface ProgressView {
  number: string
  provisional_number: string
  official_number: string | null
  item_name: string
  status: CaseStatus
  promised_days: number | null
  history: CaseStep[]
  /** Material names */
  missing_materials: string[]
  /** YYYY-MM-DD */
  deadline: string | null
}

/**
 * The ID card read on this terminal's reader for a clerk's intake. The terminal holds the full card for 10 minutes
 * under `token` (pass it to startCase); the UI gets the masked name and number and the person's cases, newest first.
 */
export interface ApplicantCard {
  token: string
  name_masked: string
  id_number_masked: string
  cases: CaseSummary[]
}

/** Who a clerk starts a case for: the applicant typed in, or the card read with readApplicantCard. */
export type CaseApplicant = ApplicantInput | { card_token: string }

/** The applicant typed by a clerk (kiosks read the card instead). */
export interface ApplicantInput {
  name: string
  id_number: string
  gender?: string
  birth_date?: string
  address?: string
  ethnicity?: string
}

/** A draft-box save: absent parts stay as they are; a form key with '' clears that field. */
export interface DraftPatch {
  answers?: Record<string, string>
  form?: Record<string, string>
  collection?: Collection
}

export type Grade = 'very_satisfied' | 'satisfied' | 'basic' | 'dissatisfied' | 'very_dissatisfied'
export const GRADES: readonly Grade[] = ['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied']

export interface RatingInput {
  grade: Grade
  reasons: string[]
  comment: string
  anonymous: boolean
}

export interface RatingView {
  case_number: string
  grade: Grade
  submitted_at_ms: number
}

/** Where a rating comes from (core/domain `RatingChannel`; the default grade is the server's, never the UI's). */
export type RatingChannel = 'evaluator' | 'customer_screen' | 'kiosk' | 'receipt_qr' | 'window_qr' | 'sms'

/**
 * The window's keypad evaluator answered. For 非常满意/满意/基本满意 the rating is recorded (`rating` set); for
 * 不满意/非常不满意 nothing is recorded yet (`rating: null`): the screen asks for the reasons and rates with them.
 */
export interface EvaluatorOutcome {
  grade: Grade
  rating: RatingView | null
}

/** An encrypted bundle of every not-yet-synced record, written to the terminal's bundle folder (removable media). */
export interface BundleExport {
  /** Path of the bundle file */
  file: string
  records: number
  blobs: number
}

export interface MaterialMark {
  paperReceived: boolean
  reviewed: boolean
}

/**
 * `cases.changed`: a case or a rating changed on this terminal (including by sync); case lists reload on it.
 * `customer_screen.changed`: the window's customer screen shows something else, or the applicant answered on it.
 */
export type BackendEventType =
  | 'tickets.changed'
  | 'devices.changed'
  | 'sync.changed'
  | 'status.changed'
  | 'cases.changed'
  | 'customer_screen.changed'

/** A clerk's pre-review of a submitted case (core/domain `PreReview`): 预审通过 or 预审驳回 with the opinion. */
export type PreReviewVerdict = { verdict: 'pass'; opinion: string } | { verdict: 'reject'; opinion: string }

/** What the clerk puts on the customer screen: the case to confirm and sign, or the rating page. */
export type CustomerOffer = 'confirm' | 'rate'
/** How the applicant answered on the customer screen. */
export type CustomerAnswer = 'signed' | 'disputed' | 'rated'

/** The case as the applicant checks it on the customer screen (the ID number masked). */
export interface CustomerCase {
  number: string
  item_name: string
  fields: { label: string; value: string }[]
  materials: { name: string; pages: number; paper_received: boolean }[]
  collection: Collection
  signed: boolean
}

/** What the window's customer screen shows (core/terminal `CustomerScreenView`). */
export type CustomerScreen =
  | {
      screen: 'nameplate'
      window: number
      label: string
      outlet: string
      staff_id: string | null
      staff_name: string | null
      paused: boolean
    }
  | { screen: 'confirm'; offer: string; case: CustomerCase }
  | { screen: 'rate'; offer: string; case_number: string; item_name: string; window: number }
  | { screen: 'answered'; offer: string; answer: CustomerAnswer; case_id: string }
export type BackendEvent = { type: BackendEventType }

/**
 * Live-update channel state. Tauri events are in-process and always 'open'; the HTTP transport's WebSocket goes
 * 'connecting' → 'open', and 'reconnecting' after a drop until it is back.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

export type Unsubscribe = () => void

export interface Backend {
  readonly transport: 'tauri' | 'http'
  status(): Promise<Status>
  /** Issue a ticket; the identity makes the terminal decide elderly priority, `priority` is a declared one. */
  issueTicket(category: string, options?: IssueOptions): Promise<Ticket>
  /** Tickets ordered by issue time. */
  listTickets(): Promise<Ticket[]>
  /** Records the server does not hold yet, the longest-waiting first, each with its reason. */
  unsyncedRecords(): Promise<UnsyncedList>
  /** Queue machine: read the ID card on this terminal's reader. Errors are the reader's (`idcard.*`). */
  identify(): Promise<Identity>
  /** A ticket with priority `appointment` in the appointment's category. */
  checkIn(request: CheckInRequest): Promise<Ticket>

  /** Clerk desk: this terminal's window. Each action returns the new state. */
  windowState(): Promise<WindowState>
  /** Opens the window for the logged-in staff member. */
  windowSignIn(): Promise<WindowState>
  windowSignOut(): Promise<WindowState>
  windowCallNext(): Promise<WindowState>
  windowRecall(): Promise<WindowState>
  windowNoShow(): Promise<WindowState>
  windowFinish(): Promise<WindowState>
  windowPause(paused: boolean): Promise<WindowState>
  windowTransfer(target: TransferTarget): Promise<WindowState>
  /** The current ticket's applicant unmasked. */
  windowApplicant(): Promise<FullApplicant>

  /** Staff login with id and password; the session is kept by the adapter (memory only). */
  login(staffId: string, password: string): Promise<StaffSession>
  /** Staff login with the staff member's own ID card on this terminal's reader and a PIN. */
  loginCard(pin: string): Promise<StaffSession>
  /** End the session on the backend and forget it here (forgotten even if the backend cannot be reached). */
  logout(): Promise<void>
  /** Ask the backend whether the kept session is still valid; null (and forgotten) when it is not. */
  refreshSession(): Promise<StaffSession | null>
  /** Works with an expired password too. */
  changePassword(staffId: string, oldPassword: string, newPassword: string): Promise<void>
  /** The logged-in staff member, or null. A `staff.login_required` answer to any call clears it. */
  currentSession(): StaffSession | null
  /** Called on every login, logout and cleared session. */
  onSession(handler: (session: StaffSession | null) => void): Unsubscribe
  staffList(): Promise<StaffAccount[]>
  saveStaff(input: StaffInput): Promise<StaffAccount>
  verifyAudit(): Promise<AuditCheck>

  /** Call screen: per-window calls, recent calls, waiting per category. */
  calls(): Promise<Calls>
  /** Today's figures for the hall, each window and each member of staff. */
  kpi(): Promise<Kpi>
  /** The hall set-up, or null before one was imported. */
  hallSetup(): Promise<HallSetup | null>
  /** Admin mode: import a hall file (TOML text). `hall.invalid` carries line:column in its message. */
  importHall(toml: string): Promise<HallSetup>

  /**
   * Locked kiosk: check the admin PIN. On success the app closes (Tauri) and the call may never resolve;
   * errors are `lockdown.bad_pin`, `lockdown.locked` (too many wrong PINs) or `lockdown.not_locked`.
   */
  unlockKiosk(pin: string): Promise<void>
  /** Idle reset: the terminal forgets the ID cards it holds for the last resident. Resolves with how many. */
  resetSession(): Promise<number>
  /** Fleet administration (manage-fleet): every terminal's last heartbeat. */
  fleetTerminals(): Promise<FleetTerminals>
  /** Group releases, newest first. */
  fleetRollouts(): Promise<RolloutView[]>
  /** Validate a profile's TOML text; an empty list means valid. Works without the sync server. */
  fleetValidateProfile(toml: string): Promise<ProfileError[]>
  /** The profile's JSON Schema, for the authoring form. */
  fleetProfileSchema(): Promise<JsonSchema>
  /** Sign a group profile on this admin terminal and start its rollout at 5 %. */
  fleetPublish(group: FleetGroup, profileToml: string): Promise<RolloutView>
  /** Next rollout stage: 5 → 20 → 100 %. */
  fleetAdvance(releaseId: string): Promise<RolloutView>
  /** Send every terminal of the group back to the previous release (or its installed profile). */
  fleetRollback(releaseId: string): Promise<RolloutView>

  /** The newest service catalogue on this terminal (`catalogue.none` before one arrived). */
  catalogue(): Promise<Catalogue>
  /** Items matching a name, its pinyin initials or its code, best first. */
  searchCatalogue(q: string): Promise<Item[]>
  /**
   * Start a case; a kiosk reads the ID card on its reader (`idcard.*` errors), a clerk passes the applicant typed in
   * or the token of the card read with readApplicantCard.
   */
  startCase(itemCode: string, who?: CaseApplicant): Promise<CaseView>
  getCase(id: string): Promise<CaseView>
  saveDraft(id: string, patch: DraftPatch): Promise<CaseView>
  /** One page of a material from the document camera. */
  captureMaterialPage(id: string, materialId: string): Promise<CaseView>
  /** Pages (base64 images) of a material scanned elsewhere. */
  addMaterialPages(id: string, materialId: string, pages: string[]): Promise<CaseView>
  /** The applicant's signature: a PNG, base64 without the data: prefix. */
  signCase(id: string, png: string): Promise<CaseView>
  submitCase(id: string): Promise<CaseView>
  rateCase(id: string, input: RatingInput, channel?: RatingChannel): Promise<RatingView>
  /**
   * Light the window's keypad evaluator and wait (up to 60 s) for the applicant's key. Errors: `evaluator.timeout`,
   * `evaluator.offline`, `device.not_configured`, `rating.already_rated`.
   */
  rateWithEvaluator(id: string): Promise<EvaluatorOutcome>
  /** By provisional or official number. */
  caseProgress(number: string): Promise<ProgressView>
  /**
   * Wait (up to 30 s) for a receipt's QR under this terminal's scanner and answer its case's progress. Errors:
   * `scanner.no_scan` (nothing scanned), `device.not_configured`, `application.unknown_case`.
   */
  scanCaseProgress(): Promise<ProgressView>
  /** Window: what the customer-facing screen shows (`customer_screen.not_configured` without one). */
  customerScreen(): Promise<CustomerScreen>
  /** Window (clerk): show a case on the customer screen to confirm and sign, or to rate. */
  showOnCustomerScreen(caseId: string, show: CustomerOffer): Promise<CustomerScreen>
  /** Window (clerk): back to the nameplate. */
  clearCustomerScreen(): Promise<CustomerScreen>
  /** Customer screen: the applicant confirmed and signed (PNG, base64). `customer_screen.stale_offer` once moved on. */
  customerScreenSign(offer: string, png: string): Promise<CustomerScreen>
  /** Customer screen: the applicant says something shown is wrong. */
  customerScreenDispute(offer: string): Promise<CustomerScreen>
  /** Customer screen: the applicant rates the offered case. */
  customerScreenRate(offer: string, input: RatingInput): Promise<RatingView>
  /** Window: the cases waiting for a clerk. */
  openCases(): Promise<CaseSummary[]>
  /** Window: an applicant's cases by ID number. */
  lookupCases(idNumber: string): Promise<CaseSummary[]>
  /**
   * Window: read the ID card on this terminal's reader and hold it for 10 minutes under the answered token, with the
   * person's cases (newest first). Errors are the reader's (`idcard.*`).
   */
  readApplicantCard(): Promise<ApplicantCard>
  markMaterial(id: string, materialId: string, mark: MaterialMark): Promise<CaseView>
  decideCase(id: string, decision: Decision): Promise<CaseView>
  /** Window or field: pre-review (业务预审) of a submitted or handed-over case; a rejection needs an opinion. */
  preReviewCase(id: string, verdict: PreReviewVerdict): Promise<CaseView>
  /** Publish a catalogue (TOML text); resolves with the new version. */
  publishCatalogue(toml: string): Promise<{ version: number }>

  /**
   * Field terminal: write every not-yet-synced record into an encrypted bundle file in the terminal's bundle folder.
   * Errors: `bundle.*`, `sync.no_server`.
   */
  exportBundle(passphrase: string): Promise<BundleExport>

  /** Receive backend events. Starts the live channel on first use. */
  subscribe(handler: (event: BackendEvent) => void): Unsubscribe
  /** Current live-channel state; `onConnection` calls back on every change. */
  connectionState(): ConnectionState
  onConnection(handler: (state: ConnectionState) => void): Unsubscribe
  /** Stop the live channel (tests, page unload). */
  close(): void
}
