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

export type TicketStatus = 'waiting' | 'called' | 'serving' | 'done' | 'no_show'
export type TicketSyncStatus = 'local' | 'sending' | 'synced' | 'refused'

export interface Ticket {
  id: string
  /** e.g. "A001" */
  number: string
  category: string
  category_name: LocalizedName
  issued_at: string
  /** terminal id */
  issued_by: string
  people_ahead: number
  status: TicketStatus
  printed: boolean
  print_error: { code: string; message: string } | null
  sync_status: TicketSyncStatus
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

export type BackendEventType = 'tickets.changed' | 'devices.changed' | 'sync.changed' | 'status.changed'
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
  issueTicket(category: string): Promise<Ticket>
  /** Tickets ordered by issue time. */
  listTickets(): Promise<Ticket[]>
  /** Records the server does not hold yet, the longest-waiting first, each with its reason. */
  unsyncedRecords(): Promise<UnsyncedList>
  /** Receive backend events. Starts the live channel on first use. */
  subscribe(handler: (event: BackendEvent) => void): Unsubscribe
  /** Current live-channel state; `onConnection` calls back on every change. */
  connectionState(): ConnectionState
  onConnection(handler: (state: ConnectionState) => void): Unsubscribe
  /** Stop the live channel (tests, page unload). */
  close(): void
}
