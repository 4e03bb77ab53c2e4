// App-wide state: the terminal's Status, the start-up error page's retry loop, the live-channel state and the
// kiosk "session reset" signal. Created once in main.ts (or a test) and provided to every component.

import { inject, ref, shallowRef, type InjectionKey, type Ref, type ShallowRef } from 'vue'
import { toBackendError, type BackendError } from '../backend/errors'
import type { Backend, ConnectionState, Status } from '../backend/types'

export interface AppState {
  readonly backend: Backend
  readonly status: ShallowRef<Status | null>
  /** Set while the first status load fails; the app shows the full-page error. */
  readonly startupError: ShallowRef<BackendError | null>
  /** Seconds until the next automatic start-up retry (null while a try is running). */
  readonly retryInSecs: Ref<number | null>
  readonly connection: Ref<ConnectionState>
  /** server_time − local time at the last status load, so a LAN TV with a wrong clock still shows hall time. */
  readonly clockOffsetMs: Ref<number>
  /** Bumped by an idle reset: everything showing a resident's data clears itself. */
  readonly sessionResets: Ref<number>
  /** Resolves with the first Status; the router waits on it before leaving `/`. */
  ready(): Promise<Status>
  /** Start loading (idempotent). */
  start(): void
  /** Try again at once (the error page's button). */
  retryNow(): void
  /** Reload the status (after a *.changed event). Keeps the old status if the reload fails. */
  refresh(): Promise<void>
  resetSession(): void
  dispose(): void
}

export const APP_STATE_KEY: InjectionKey<AppState> = Symbol('banshi.appState')

export function useAppState(): AppState {
  const state = inject(APP_STATE_KEY, null)
  if (!state) throw new Error('no AppState provided')
  return state
}

/** The status after `useAppState().ready()`: views render only once it is there. */
export function useStatus(): ShallowRef<Status> {
  const state = useAppState()
  if (!state.status.value) throw new Error('status not loaded yet')
  return state.status as ShallowRef<Status>
}

export interface AppStateOptions {
  /** Delay before start-up retry `n` (0-based), in seconds. */
  retryDelaySecs?: (attempt: number) => number
  now?: () => number
}

export function startupRetryDelay(attempt: number): number {
  return Math.min(2 + attempt * 2, 15)
}

export function createAppState(backend: Backend, options: AppStateOptions = {}): AppState {
  const retryDelay = options.retryDelaySecs ?? startupRetryDelay
  const now = options.now ?? (() => Date.now())
  const status = shallowRef<Status | null>(null)
  const startupError = shallowRef<BackendError | null>(null)
  const retryInSecs = ref<number | null>(null)
  const connection = ref<ConnectionState>(backend.connectionState())
  const clockOffsetMs = ref(0)
  const sessionResets = ref(0)

  let resolveReady!: (s: Status) => void
  const readyPromise = new Promise<Status>((resolve) => {
    resolveReady = resolve
  })
  let started = false
  let disposed = false
  let attempt = 0
  let countdown: ReturnType<typeof setInterval> | null = null
  let refreshing: Promise<void> | null = null
  let refreshAgain = false
  const offs: Array<() => void> = []

  function accept(s: Status): void {
    const serverMs = Date.parse(s.server_time)
    if (!Number.isNaN(serverMs)) clockOffsetMs.value = serverMs - now()
    status.value = s
  }

  function stopCountdown(): void {
    if (countdown !== null) clearInterval(countdown)
    countdown = null
  }

  async function tryLoad(): Promise<void> {
    stopCountdown()
    retryInSecs.value = null
    try {
      const s = await backend.status()
      if (disposed) return
      accept(s)
      startupError.value = null
      onFirstStatus()
      resolveReady(s)
    } catch (err) {
      if (disposed) return
      startupError.value = toBackendError(err)
      let left = retryDelay(attempt)
      attempt += 1
      retryInSecs.value = left
      countdown = setInterval(() => {
        left -= 1
        retryInSecs.value = Math.max(left, 0)
        if (left <= 0) void tryLoad()
      }, 1000)
    }
  }

  function onFirstStatus(): void {
    offs.push(
      backend.subscribe((event) => {
        if (event.type !== 'tickets.changed') void refresh()
      }),
    )
    let previous = backend.connectionState()
    connection.value = previous
    offs.push(
      backend.onConnection((state) => {
        connection.value = state
        // Events may have been missed while the channel was down.
        if (state === 'open' && previous !== 'open') void refresh()
        previous = state
      }),
    )
  }

  async function refresh(): Promise<void> {
    if (refreshing) {
      refreshAgain = true
      return refreshing
    }
    refreshing = (async () => {
      do {
        refreshAgain = false
        try {
          const s = await backend.status()
          if (!disposed) accept(s)
        } catch (err) {
          // Keep showing the last good status; the connection indicator tells the user something is wrong.
          console.warn('banshi: status refresh failed', toBackendError(err))
        }
      } while (refreshAgain && !disposed)
    })()
    try {
      await refreshing
    } finally {
      refreshing = null
    }
  }

  return {
    backend,
    status,
    startupError,
    retryInSecs,
    connection,
    clockOffsetMs,
    sessionResets,
    ready: () => readyPromise,
    start() {
      if (started) return
      started = true
      void tryLoad()
    },
    retryNow() {
      if (status.value) return
      void tryLoad()
    },
    refresh,
    resetSession() {
      sessionResets.value += 1
      // The screen is wiped at once; the terminal also forgets any ID card it still holds for that resident.
      // Best effort: a backend without the call (an older `banshi serve`) must not stop the screen reset.
      void backend.resetSession().catch((err: unknown) => {
        console.warn('banshi: session reset not confirmed by the backend', toBackendError(err))
      })
    },
    dispose() {
      disposed = true
      stopCountdown()
      for (const off of offs.splice(0)) off()
    },
  }
}
