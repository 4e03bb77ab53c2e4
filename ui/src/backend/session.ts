import type { StaffSession, Unsubscribe } from './types'

/** The code every staff route answers without a (valid) token: the session is gone, show the login again. */
export const LOGIN_REQUIRED = 'staff.login_required'

/**
 * The logged-in staff member of one adapter. Memory only, never localStorage or a cookie: a kiosk must not keep a
 * staff token past a reload, and a reload is how a stuck terminal gets fixed.
 */
export class SessionStore {
  private current: StaffSession | null = null
  private readonly handlers = new Set<(session: StaffSession | null) => void>()

  get(): StaffSession | null {
    return this.current
  }

  token(): string | null {
    return this.current?.token ?? null
  }

  set(session: StaffSession | null): void {
    if (session === this.current) return
    this.current = session
    for (const handler of [...this.handlers]) handler(session)
  }

  /** A `staff.login_required` answer to a call made with `token` ends that session (not a newer one). */
  expired(token: string | null): void {
    if (token !== null && this.current?.token === token) this.set(null)
  }

  on(handler: (session: StaffSession | null) => void): Unsubscribe {
    this.handlers.add(handler)
    return () => {
      this.handlers.delete(handler)
    }
  }
}
