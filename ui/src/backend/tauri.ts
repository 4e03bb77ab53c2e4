// Tauri transport: the app inside the terminal's own WebView. Commands go through `invoke`, events arrive on the
// `banshi://event` channel. Both are in-process, so the live channel is always 'open'.

import { invoke as tauriInvoke } from '@tauri-apps/api/core'
import { listen as tauriListen } from '@tauri-apps/api/event'
import { toBackendError } from './errors'
import { EventHub } from './hub'
import { checkStatus, checkTicket, checkTicketList, checkUnsyncedList, parseEvent } from './parse'
import type { Backend, BackendEvent, ConnectionState, Status, Ticket, Unsubscribe, UnsyncedList } from './types'

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

  issueTicket(category: string): Promise<Ticket> {
    return this.call('issue_ticket', { category }).then(checkTicket)
  }

  listTickets(): Promise<Ticket[]> {
    return this.call('list_tickets').then(checkTicketList)
  }

  unsyncedRecords(): Promise<UnsyncedList> {
    return this.call('unsynced_records').then(checkUnsyncedList)
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
