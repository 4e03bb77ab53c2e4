// Light shape checks for what the backend sends. The backend is ours, but the HTTP transport may sit behind a
// proxy or talk to an older build: a clear `client.bad_response` beats a blank screen from `undefined.terminal`.

import { BackendError, CLIENT_ERRORS } from './errors'
import type { BackendEvent, BackendEventType, Status, Ticket, UnsyncedList } from './types'
import { RUN_MODES } from './types'

const EVENT_TYPES: readonly BackendEventType[] = [
  'tickets.changed',
  'devices.changed',
  'sync.changed',
  'status.changed',
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
