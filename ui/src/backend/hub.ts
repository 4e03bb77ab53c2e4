import type { BackendEvent, ConnectionState, Unsubscribe } from './types'

/** Fan-out of backend events and live-channel state to any number of UI subscribers. */
export class EventHub {
  private readonly handlers = new Set<(event: BackendEvent) => void>()
  private readonly connectionHandlers = new Set<(state: ConnectionState) => void>()
  private state: ConnectionState

  constructor(initial: ConnectionState) {
    this.state = initial
  }

  get size(): number {
    return this.handlers.size
  }

  add(handler: (event: BackendEvent) => void): Unsubscribe {
    this.handlers.add(handler)
    return () => {
      this.handlers.delete(handler)
    }
  }

  emit(event: BackendEvent): void {
    for (const handler of [...this.handlers]) {
      try {
        handler(event)
      } catch (err) {
        // One faulty screen must not stop the others from hearing about changes.
        console.error('banshi: event handler failed', err)
      }
    }
  }

  connectionState(): ConnectionState {
    return this.state
  }

  onConnection(handler: (state: ConnectionState) => void): Unsubscribe {
    this.connectionHandlers.add(handler)
    return () => {
      this.connectionHandlers.delete(handler)
    }
  }

  setConnection(state: ConnectionState): void {
    if (state === this.state) return
    this.state = state
    for (const handler of [...this.connectionHandlers]) handler(state)
  }
}
