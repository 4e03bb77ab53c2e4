import { onScopeDispose, ref, shallowRef } from 'vue'
import { toBackendError, type BackendError } from '../backend/errors'
import type { Backend, Ticket } from '../backend/types'

/**
 * The ticket list, loaded now and reloaded on every `tickets.changed` event and whenever the live channel comes
 * back (events may have been missed). Reloads that arrive while one is running are folded into one more.
 */
export function useTickets(backend: Backend) {
  const tickets = shallowRef<Ticket[]>([])
  const loaded = ref(false)
  const error = shallowRef<BackendError | null>(null)
  const updatedAt = shallowRef<Date | null>(null)
  let running: Promise<void> | null = null
  let again = false
  let disposed = false

  async function refresh(): Promise<void> {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        try {
          const list = await backend.listTickets()
          if (disposed) return
          tickets.value = list
          error.value = null
          loaded.value = true
          updatedAt.value = new Date()
        } catch (err) {
          if (disposed) return
          error.value = toBackendError(err)
        }
      } while (again && !disposed)
    })()
    try {
      await running
    } finally {
      running = null
    }
  }

  const offEvents = backend.subscribe((event) => {
    if (event.type === 'tickets.changed') void refresh()
  })
  let previous = backend.connectionState()
  const offConnection = backend.onConnection((state) => {
    if (state === 'open' && previous !== 'open') void refresh()
    previous = state
  })
  onScopeDispose(() => {
    disposed = true
    offEvents()
    offConnection()
  })
  void refresh()

  return { tickets, loaded, error, updatedAt, refresh }
}
