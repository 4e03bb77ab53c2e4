// Test fixtures: a fake Backend (no transport at all) and a mount helper that provides it the way main.ts does.

import { enableAutoUnmount, flushPromises, mount, type ComponentMountingOptions } from '@vue/test-utils'
import { afterEach, vi } from 'vitest'
import type { Component } from 'vue'
import type { Router } from 'vue-router'
import { BACKEND_KEY } from '../src/backend/inject'
import type { Backend, BackendEvent, ConnectionState, Status, Ticket, UnsyncedList, UnsyncedRecord } from '../src/backend/types'
import { APP_STATE_KEY, createAppState, type AppState } from '../src/composables/appState'
import { createAppI18n } from '../src/i18n'

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

/** A Backend whose calls are vi.fn()s and whose events the test emits by hand. */
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
