import { onScopeDispose, ref, shallowRef } from 'vue'
import { toBackendError, type BackendError } from '../backend/errors'
import type { Backend, BackendEventType, UnsyncedList } from '../backend/types'

/**
 * The records not yet synced, loaded now and reloaded on every event that can change them and whenever the live channel comes back. Reloads that arrive while one is running are
 * folded into one more.
 */
export function useUnsynced(backend: Backend) {
  const list = shallowRef<UnsyncedList>({ total: 0, records: [] })
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
          const next = await backend.unsyncedRecords()
          if (disposed) return
          list.value = next
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

  // A new record (tickets, cases and ratings), a sync pass (sync) or "reload everything" after a lagging channel
  // (status); device health, and anything a newer backend adds, has nothing to do with the outbox.
  const RELOAD_ON: readonly BackendEventType[] = ['tickets.changed', 'cases.changed', 'sync.changed', 'status.changed']
  const offEvents = backend.subscribe((event) => {
    if (RELOAD_ON.includes(event.type)) void refresh()
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

  return { list, loaded, error, updatedAt, refresh }
}
