// Tauri transport: the app inside the terminal's own WebView. Commands go through `invoke`, events arrive on the
// `banshi://event` channel. Both are in-process, so the live channel is always 'open'.

import { invoke as tauriInvoke } from '@tauri-apps/api/core'
import { listen as tauriListen } from '@tauri-apps/api/event'
import { toBackendError } from './errors'
import { EventHub } from './hub'
import {
  checkCalls,
  checkHallSetup,
  checkIdentity,
  checkKpi,
  checkOptionalHallSetup,
  checkStatus,
  checkTicket,
  checkTicketList,
  checkUnsyncedList,
  checkWindowState,
  parseEvent,
} from './parse'
import type {
  Backend,
  BackendEvent,
  Calls,
  CheckInRequest,
  ConnectionState,
  HallSetup,
  Identity,
  IssueOptions,
  Kpi,
  Status,
  Ticket,
  TransferTarget,
  Unsubscribe,
  UnsyncedList,
  WindowState,
} from './types'

export const EVENT_CHANNEL = 'banshi://event'

export type InvokeFn = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>
export type ListenFn = (event: string, handler: (event: { payload: unknown }) => void) => Promise<() => void>

export interface TauriBackendOptions {
  invoke?: InvokeFn
  listen?: ListenFn
}

export class TauriBackend implements Backend {
  readonly transport = 'tauri' as const
  private readonly invokeFn: InvokeFn
  private readonly listenFn: ListenFn
  private readonly hub = new EventHub('open')
  private unlisten: Promise<(() => void) | null> | null = null
  private stopped = false

  constructor(options: TauriBackendOptions = {}) {
    this.invokeFn = options.invoke ?? ((cmd, args) => tauriInvoke(cmd, args))
    this.listenFn = options.listen ?? ((event, handler) => tauriListen(event, handler))
  }

  status(): Promise<Status> {
    return this.call('status').then(checkStatus)
  }

  // Tauri converts the command's snake_case arguments to camelCase keys; absent optional arguments go as null.
  issueTicket(category: string, options: IssueOptions = {}): Promise<Ticket> {
    return this.call('issue_ticket', {
      category,
      identity: options.identity ?? null,
      priority: options.priority ?? null,
    }).then(checkTicket)
  }

  listTickets(): Promise<Ticket[]> {
    return this.call('list_tickets').then(checkTicketList)
  }

  unsyncedRecords(): Promise<UnsyncedList> {
    return this.call('unsynced_records').then(checkUnsyncedList)
  }

  identify(): Promise<Identity> {
    return this.call('queue_identify').then(checkIdentity)
  }

  checkIn(request: CheckInRequest): Promise<Ticket> {
    return this.call('appointment_check_in', {
      identity: request.identity ?? null,
      bookingNumber: request.bookingNumber ?? null,
    }).then(checkTicket)
  }

  windowState(): Promise<WindowState> {
    return this.call('window_state').then(checkWindowState)
  }

  windowSignIn(staffId: string): Promise<WindowState> {
    return this.call('window_sign_in', { staffId }).then(checkWindowState)
  }

  windowSignOut(): Promise<WindowState> {
    return this.call('window_sign_out').then(checkWindowState)
  }

  windowCallNext(): Promise<WindowState> {
    return this.call('window_call_next').then(checkWindowState)
  }

  windowRecall(): Promise<WindowState> {
    return this.call('window_recall').then(checkWindowState)
  }

  windowNoShow(): Promise<WindowState> {
    return this.call('window_no_show').then(checkWindowState)
  }

  windowFinish(): Promise<WindowState> {
    return this.call('window_finish').then(checkWindowState)
  }

  windowPause(paused: boolean): Promise<WindowState> {
    return this.call('window_pause', { paused }).then(checkWindowState)
  }

  windowTransfer(target: TransferTarget): Promise<WindowState> {
    return this.call('window_transfer', {
      category: target.category ?? null,
      window: target.window ?? null,
    }).then(checkWindowState)
  }

  calls(): Promise<Calls> {
    return this.call('calls').then(checkCalls)
  }

  kpi(): Promise<Kpi> {
    return this.call('kpi').then(checkKpi)
  }

  hallSetup(): Promise<HallSetup | null> {
    return this.call('hall_setup').then(checkOptionalHallSetup)
  }

  importHall(toml: string): Promise<HallSetup> {
    return this.call('import_hall', { toml }).then(checkHallSetup)
  }

  subscribe(handler: (event: BackendEvent) => void): Unsubscribe {
    const off = this.hub.add(handler)
    if (!this.unlisten && !this.stopped) {
      this.unlisten = this.listenFn(EVENT_CHANNEL, (e) => {
        const event = parseEvent(e.payload)
        if (event) this.hub.emit(event)
      }).catch((err: unknown) => {
        console.error('banshi: cannot listen for backend events', err)
        this.hub.setConnection('closed')
        return null
      })
    }
    return off
  }

  connectionState(): ConnectionState {
    return this.hub.connectionState()
  }

  onConnection(handler: (state: ConnectionState) => void): Unsubscribe {
    return this.hub.onConnection(handler)
  }

  close(): void {
    this.stopped = true
    void this.unlisten?.then((off) => off?.())
    this.unlisten = null
    this.hub.setConnection('closed')
  }

  private async call(cmd: string, args?: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.invokeFn(cmd, args)
    } catch (err) {
      throw toBackendError(err)
    }
  }
}

export function createTauriBackend(options?: TauriBackendOptions): Backend {
  return new TauriBackend(options)
}
