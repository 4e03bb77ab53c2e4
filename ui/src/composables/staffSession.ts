import { onScopeDispose, shallowRef, type ShallowRef } from 'vue'
import type { Backend, StaffSession } from '../backend/types'

type BeforeLogout = () => Promise<void>

interface Shared {
  hooks: Set<BeforeLogout>
}

// One set of before-logout hooks per backend: the chrome's 退出 button and the screen that must act first (the
// window desk signs its window out) do not know each other.
const shared = new WeakMap<Backend, Shared>()

function sharedFor(backend: Backend): Shared {
  let s = shared.get(backend)
  if (!s) {
    s = { hooks: new Set() }
    shared.set(backend, s)
  }
  return s
}

export interface StaffSessionHandle {
  /** The logged-in staff member, updated on login, logout and an expired session. */
  session: ShallowRef<StaffSession | null>
  /** Whether the logged-in staff member holds any of `permissions`. */
  can: (...permissions: string[]) => boolean
  /** Run the screens' before-logout steps (each may fail without stopping the logout), then log out. */
  logout: () => Promise<void>
  /** A step to run before logging out while this scope lives, e.g. closing the window. */
  beforeLogout: (hook: BeforeLogout) => void
}

export function useStaffSession(backend: Backend): StaffSessionHandle {
  const s = sharedFor(backend)
  const session = shallowRef<StaffSession | null>(backend.currentSession())
  const off = backend.onSession((next) => {
    session.value = next
  })
  const own: BeforeLogout[] = []
  onScopeDispose(() => {
    off()
    for (const hook of own) s.hooks.delete(hook)
  })

  return {
    session,
    can: (...permissions) => permissions.some((p) => session.value?.permissions.includes(p) ?? false),
    async logout() {
      for (const hook of [...s.hooks]) {
        try {
          await hook()
        } catch (err) {
          // The logout must happen anyway: a desk left logged in is worse than a window left open.
          console.warn('banshi: a step before logout failed', err)
        }
      }
      await backend.logout()
    },
    beforeLogout(hook) {
      own.push(hook)
      s.hooks.add(hook)
    },
  }
}

/** The time in a `staff.locked` message ("… locked until 2026-11-24T09:30:00Z"), if it carries one. */
export function lockedUntil(message: string): Date | null {
  const m = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})/.exec(message)
  if (!m) return null
  const d = new Date(m[0])
  return Number.isNaN(d.getTime()) ? null : d
}
