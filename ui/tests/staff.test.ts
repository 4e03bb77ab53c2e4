// Staff login on both transports and on the screens: the bearer on every call, a 401 that ends the session, login
// errors by code, the window desk's login → open window → full applicant flow, the admin's staff management.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BackendError } from '../src/backend/errors'
import { HttpBackend } from '../src/backend/http'
import { TauriBackend } from '../src/backend/tauri'
import AppChrome from '../src/components/AppChrome.vue'
import StaffLogin from '../src/components/StaffLogin.vue'
import AdminView from '../src/views/AdminView.vue'
import SyncListView from '../src/views/SyncListView.vue'
import WindowView from '../src/views/WindowView.vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { lockedUntil } from '../src/composables/staffSession'
import { FakeBackend, makeSession, makeStaffAccount, makeTicket, makeWindowState, mountView } from './helpers'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

const LOGIN = makeSession({ token: 'tok-secret-1' })

/** An HttpBackend whose fetch answers by path and records the Authorization header of each request. */
function http(answer: (path: string, method: string) => Response) {
  const seen: { method: string; path: string; auth: string | undefined; body: unknown }[] = []
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const path = new URL(url).pathname
    const method = init?.method ?? 'GET'
    const headers = (init?.headers ?? {}) as Record<string, string>
    seen.push({ method, path, auth: headers.Authorization, body: init?.body ? JSON.parse(init.body as string) : undefined })
    return answer(path, method)
  })
  const backend = new HttpBackend({ baseUrl: 'http://hall.local:8400', fetch: fetch as unknown as typeof globalThis.fetch })
  return { backend, seen }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('staff session on the HTTP transport', () => {
  it('sends the bearer token on every call after login and none before', async () => {
    const { backend, seen } = http((path) => {
      if (path === '/api/login') return json(LOGIN)
      if (path === '/api/tickets') return json([])
      if (path === '/api/window/sign-in') return json(makeWindowState())
      return json(null)
    })
    await backend.listTickets()
    const session = await backend.login('s1', 'Clerk-2026!')
    expect(session.name).toBe('王芳')
    expect(backend.currentSession()?.token).toBe('tok-secret-1')
    await backend.listTickets()
    await backend.windowSignIn()
    expect(seen.map((r) => [r.method, r.path, r.auth])).toEqual([
      ['GET', '/api/tickets', undefined],
      ['POST', '/api/login', undefined],
      ['GET', '/api/tickets', 'Bearer tok-secret-1'],
      ['POST', '/api/window/sign-in', 'Bearer tok-secret-1'],
    ])
    expect(seen[1]!.body).toEqual({ staff_id: 's1', password: 'Clerk-2026!' })
  })

  it('clears the session when a staff route answers 401 staff.login_required', async () => {
    const { backend } = http((path) => {
      if (path === '/api/login') return json(LOGIN)
      return json({ code: 'staff.login_required', message: 'log in first' }, 401)
    })
    const changes: unknown[] = []
    backend.onSession((s) => changes.push(s?.staff_id ?? null))
    await backend.login('s1', 'pw')
    await expect(backend.kpi()).rejects.toMatchObject({ code: 'staff.login_required' })
    expect(backend.currentSession()).toBeNull()
    expect(changes).toEqual(['s1', null])
  })

  it('keeps the session on 403 staff.forbidden', async () => {
    const { backend } = http((path) =>
      path === '/api/login' ? json(LOGIN) : json({ code: 'staff.forbidden', message: 'no' }, 403),
    )
    await backend.login('s1', 'pw')
    await expect(backend.staffList()).rejects.toMatchObject({ code: 'staff.forbidden' })
    expect(backend.currentSession()).not.toBeNull()
  })

  it('logs out with the token and forgets the session even if the backend fails', async () => {
    const { backend, seen } = http((path) => (path === '/api/login' ? json(LOGIN) : new Response('', { status: 500 })))
    await backend.login('s1', 'pw')
    await expect(backend.logout()).rejects.toBeInstanceOf(BackendError)
    expect(backend.currentSession()).toBeNull()
    expect(seen[1]).toMatchObject({ method: 'POST', path: '/api/logout', auth: 'Bearer tok-secret-1' })
  })

  it('sends the password change, the applicant, staff and audit routes', async () => {
    const { backend, seen } = http((path) => {
      if (path === '/api/password' || path === '/api/logout') return new Response(null, { status: 204 })
      if (path === '/api/window/applicant') return json({ name: '张三丰', id_number: '460100195001011234', age: 76 })
      if (path === '/api/staff') return seen.at(-1)?.method === 'GET' ? json([makeStaffAccount()]) : json(makeStaffAccount())
      if (path === '/api/audit/verify') return json({ ok: false, events: 9, problem: { code: 'audit.broken', message: 'event 4' } })
      if (path === '/api/login/card') return json(LOGIN)
      return json(null)
    })
    await backend.changePassword('s1', 'old', 'New-2026!')
    await backend.loginCard('246810')
    await expect(backend.windowApplicant()).resolves.toMatchObject({ name: '张三丰' })
    await expect(backend.staffList()).resolves.toHaveLength(1)
    await backend.saveStaff({ staff_id: 's2', name: '李明', roles: ['clerk'], windows: [2], disabled: false })
    await expect(backend.verifyAudit()).resolves.toEqual({ ok: false, events: 9, problem: { code: 'audit.broken', message: 'event 4' } })
    await backend.logout()
    expect(seen.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/api/password'],
      ['POST', '/api/login/card'],
      ['GET', '/api/window/applicant'],
      ['GET', '/api/staff'],
      ['POST', '/api/staff'],
      ['GET', '/api/audit/verify'],
      ['POST', '/api/logout'],
    ])
    expect(seen[0]!.body).toEqual({ staff_id: 's1', old_password: 'old', new_password: 'New-2026!' })
    expect(seen[1]!.body).toEqual({ pin: '246810' })
    expect(seen[4]!.body).toMatchObject({ staff_id: 's2', roles: ['clerk'], windows: [2] })
  })

  it('checks the kept session with GET /api/session and forgets it when the backend no longer knows it', async () => {
    let known = true
    const { backend, seen } = http((path) => {
      if (path === '/api/login') return json(LOGIN)
      if (known) return json({ ...LOGIN, name: '王芳（值班）' })
      return json({ code: 'staff.login_required', message: 'idle too long' }, 401)
    })
    await expect(backend.refreshSession()).resolves.toBeNull()
    expect(seen).toHaveLength(0)
    await backend.login('s1', 'pw')
    await expect(backend.refreshSession()).resolves.toMatchObject({ name: '王芳（值班）' })
    known = false
    await expect(backend.refreshSession()).rejects.toMatchObject({ code: 'staff.login_required' })
    expect(backend.currentSession()).toBeNull()
    expect(seen.map((r) => [r.path, r.auth])).toEqual([
      ['/api/login', undefined],
      ['/api/session', 'Bearer tok-secret-1'],
      ['/api/session', 'Bearer tok-secret-1'],
    ])
  })

  it('never writes the token to web storage', async () => {
    const { backend } = http(() => json(LOGIN))
    await backend.login('s1', 'pw')
    const stored = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })
    expect(stored).not.toContain('tok-secret-1')
  })
})

describe('staff session on the Tauri transport', () => {
  it('passes the token to staff commands and clears it on staff.login_required', async () => {
    let expired = false
    const invoke = vi.fn(async (cmd: string) => {
      if (cmd === 'login') return LOGIN
      if (expired) throw { code: 'staff.login_required', message: 'log in' }
      if (cmd === 'window_state' || cmd === 'window_sign_in') return makeWindowState()
      if (cmd === 'staff_list') return []
      throw new Error(`unexpected ${cmd}`)
    })
    const backend = new TauriBackend({ invoke, listen: vi.fn() })
    await backend.login('s1', 'pw')
    await backend.windowSignIn()
    await backend.staffList()
    expect(invoke.mock.calls).toEqual([
      ['login', { staffId: 's1', password: 'pw' }],
      ['window_sign_in', { token: 'tok-secret-1' }],
      ['staff_list', { token: 'tok-secret-1' }],
    ])
    expired = true
    await expect(backend.windowState()).rejects.toMatchObject({ code: 'staff.login_required' })
    expect(backend.currentSession()).toBeNull()
  })
})

describe('StaffLogin', () => {
  it('translates login errors by code', async () => {
    const backend = new FakeBackend()
    backend.login.mockRejectedValue(new BackendError('staff.bad_credentials', 'unknown login or wrong password or PIN'))
    const { wrapper } = await mountView(StaffLogin, backend)
    await wrapper.get('[data-testid="login-staff-id"]').setValue('s1')
    await wrapper.get('[data-testid="login-password"]').setValue('wrong')
    await wrapper.get('[data-testid="login-submit"]').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe('登录失败：工号或密码不正确')
    expect((wrapper.get('[data-testid="login-password"]').element as HTMLInputElement).value).toBe('')
  })

  it('shows until when a locked account is locked', async () => {
    expect(lockedUntil('too many failed logins: locked until 2026-11-24T01:30:00Z')?.toISOString()).toBe(
      '2026-11-24T01:30:00.000Z',
    )
    const backend = new FakeBackend()
    backend.login.mockRejectedValue(new BackendError('staff.locked', 'too many failed logins: locked until 2026-11-24T01:30:00Z'))
    const { wrapper } = await mountView(StaffLogin, backend, { locale: 'en' })
    await wrapper.get('[data-testid="login-staff-id"]').setValue('s1')
    await wrapper.get('[data-testid="login-password"]').setValue('x')
    await wrapper.get('[data-testid="login-submit"]').trigger('submit')
    await flushPromises()
    const text = wrapper.get('[data-testid="login-error"]').text()
    expect(text).toContain('locked until')
    expect(text).toMatch(/2026/)
  })

  it('offers the password change for an expired password and then asks to log in again', async () => {
    const backend = new FakeBackend()
    backend.login.mockRejectedValue(new BackendError('staff.password_expired', 'expired'))
    const { wrapper } = await mountView(StaffLogin, backend)
    await wrapper.get('[data-testid="login-staff-id"]').setValue('s1')
    await wrapper.get('[data-testid="login-password"]').setValue('Old-pass1')
    await wrapper.get('[data-testid="login-submit"]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-testid="change-password"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="login-error"]').text()).toContain('密码已过期')
    await wrapper.get('[data-testid="pw-old"]').setValue('Old-pass1')
    await wrapper.get('[data-testid="pw-new"]').setValue('New-2026!')
    await wrapper.get('[data-testid="pw-confirm"]').setValue('New-2026!')
    await wrapper.get('[data-testid="change-password"]').trigger('submit')
    await flushPromises()
    expect(backend.changePassword).toHaveBeenCalledWith('s1', 'Old-pass1', 'New-2026!')
    expect(wrapper.find('[data-testid="password-changed"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="login-password"]').exists()).toBe(true)
  })

  it('logs in with the ID card and a PIN typed on the pad', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(StaffLogin, backend)
    await wrapper.get('[data-testid="login-by-card"]').trigger('click')
    for (const d of ['2', '4', '6', '8', '1', '0']) await wrapper.get(`[data-testid="pin-digit-${d}"]`).trigger('click')
    await wrapper.get('[data-testid="login-card-submit"]').trigger('submit')
    await flushPromises()
    expect(backend.loginCard).toHaveBeenCalledWith('246810')
    expect(wrapper.emitted('done')).toHaveLength(1)
  })
})

describe('window desk behind the staff login', () => {
  it('logs in, opens the window, shows the full applicant until the next ticket', async () => {
    const backend = new FakeBackend()
    backend.sessionValue = null
    const applicant = { name: '李*', id_number: '4601**********1234', age: 36 }
    const closed = makeWindowState({ session: null })
    const open = makeWindowState({ current: makeTicket({ id: 'tk-7', number: 'A007', status: 'called', applicant }) })
    backend.windowState.mockResolvedValue(closed)
    backend.windowSignIn.mockResolvedValue(open)
    backend.windowApplicant.mockResolvedValue({ name: '李四', id_number: '460100199001011234', age: 36 })
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="staff-login"]').exists()).toBe(true)
    expect(backend.windowState).not.toHaveBeenCalled()
    expect(backend.listTickets).not.toHaveBeenCalled()

    await wrapper.get('[data-testid="login-staff-id"]').setValue('s1')
    await wrapper.get('[data-testid="login-password"]').setValue('Clerk-2026!')
    await wrapper.get('[data-testid="login-submit"]').trigger('submit')
    await flushPromises()
    expect(backend.login).toHaveBeenCalledWith('s1', 'Clerk-2026!')
    expect(wrapper.find('[data-testid="staff-login"]').exists()).toBe(false)

    await wrapper.get('[data-testid="window-open"]').trigger('click')
    await flushPromises()
    expect(backend.windowSignIn).toHaveBeenCalledWith()
    expect(wrapper.get('[data-testid="current-applicant"]').text()).not.toContain('李四')

    await wrapper.get('[data-testid="show-applicant"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="applicant-name"]').text()).toBe('李四')
    expect(wrapper.get('[data-testid="applicant-id-number"]').text()).toBe('460100199001011234')

    backend.windowFinish.mockResolvedValue(makeWindowState({ current: makeTicket({ id: 'tk-8', number: 'A008', status: 'called', applicant }) }))
    await wrapper.get('[data-testid="action-finish"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="applicant-name"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="show-applicant"]').exists()).toBe(true)
  })

  it('hides the full applicant after 30 s', async () => {
    const backend = new FakeBackend()
    backend.windowState.mockResolvedValue(
      makeWindowState({ current: makeTicket({ status: 'called', applicant: { name: '李*', id_number: 'x', age: 1 } }) }),
    )
    const { wrapper } = await mountView(WindowView, backend)
    vi.useFakeTimers()
    await wrapper.get('[data-testid="show-applicant"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="applicant-name"]').exists()).toBe(true)
    vi.advanceTimersByTime(30_000)
    await flushPromises()
    expect(wrapper.find('[data-testid="applicant-name"]').exists()).toBe(false)
  })

  it('offers no full applicant without view-personal-data', async () => {
    const backend = new FakeBackend()
    backend.sessionValue = makeSession({ permissions: ['serve-window'] })
    backend.windowState.mockResolvedValue(
      makeWindowState({ current: makeTicket({ status: 'called', applicant: { name: '李*', id_number: 'x', age: 1 } }) }),
    )
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="show-applicant"]').exists()).toBe(false)
  })

  it('signs the open window out before logging out from the chrome', async () => {
    const backend = new FakeBackend()
    const order: string[] = []
    backend.windowSignOut.mockImplementation(async () => {
      order.push('sign-out')
      return makeWindowState({ session: null })
    })
    backend.logout.mockImplementation(async () => {
      order.push('logout')
      backend.setSession(null)
    })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: WindowView }] })
    await router.push('/')
    const { wrapper } = await mountView(AppChrome, backend, { props: { mode: 'window', variant: 'desk' }, router })
    // The chrome (its 退出) and the desk are separate components that share only the backend.
    const chrome = wrapper
    expect(chrome.get('[data-testid="staff-badge-name"]').text()).toContain('王芳')
    const { wrapper: desk } = await mountView(WindowView, backend)
    expect(desk.find('[data-testid="action-callNext"]').exists()).toBe(true)
    await chrome.get('[data-testid="staff-logout"]').trigger('click')
    await flushPromises()
    expect(order).toEqual(['sign-out', 'logout'])
    expect(chrome.find('[data-testid="staff-badge"]').exists()).toBe(false)
    expect(desk.find('[data-testid="staff-login"]').exists()).toBe(true)
  })

  it('shows a refusal to staff without serve-window', async () => {
    const backend = new FakeBackend()
    backend.sessionValue = makeSession({ permissions: ['view-hall-kpi'] })
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="staff-no-permission"]').exists()).toBe(true)
    expect(backend.windowState).not.toHaveBeenCalled()
  })
})

describe('admin console staff management', () => {
  it('lists accounts and saves a new one with roles, windows and a one-time password', async () => {
    const backend = new FakeBackend()
    backend.staffList.mockResolvedValue([
      makeStaffAccount(),
      makeStaffAccount({ staff_id: 's2', name: '李明', disabled: true, must_change_password: true, has_card_login: true }),
    ])
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.get('[data-testid="staff-row-s2"]').text()).toContain('已停用')
    expect(wrapper.get('[data-testid="staff-row-s2"]').text()).toContain('须修改')
    await wrapper.get('[data-testid="staff-form-id"]').setValue('s3')
    await wrapper.get('[data-testid="staff-form-name"]').setValue('赵六')
    await wrapper.get('[data-testid="staff-role-clerk"]').setValue(true)
    await wrapper.get('[data-testid="staff-role-supervisor"]').setValue(true)
    await wrapper.get('[data-testid="staff-form-windows"]').setValue('1, 2')
    await wrapper.get('[data-testid="staff-form-password"]').setValue('Temp-2026!')
    await wrapper.get('[data-testid="staff-form"]').trigger('submit')
    await flushPromises()
    expect(backend.saveStaff).toHaveBeenCalledWith({
      staff_id: 's3',
      name: '赵六',
      roles: ['clerk', 'supervisor'],
      windows: [1, 2],
      password: 'Temp-2026!',
      one_time_password: true,
      disabled: false,
    })
    expect(wrapper.find('[data-testid="staff-saved"]').exists()).toBe(true)
  })

  it('translates a weak PIN and verifies the audit chain', async () => {
    const backend = new FakeBackend()
    backend.saveStaff.mockRejectedValue(new BackendError('staff.weak_pin', 'weak'))
    const { wrapper } = await mountView(AdminView, backend)
    await wrapper.get('[data-testid="staff-edit-s1"]').trigger('click')
    await wrapper.get('[data-testid="staff-form-pin"]').setValue('123456')
    await wrapper.get('[data-testid="staff-form"]').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="staff-form-error"]').text()).toContain('PIN 须为 6 位数字')
    await wrapper.get('[data-testid="audit-verify"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="audit-result"]').text()).toBe('审计链完整，共 42 条事件')
  })

  it('keeps a clerk out of the admin console', async () => {
    const backend = new FakeBackend()
    backend.sessionValue = makeSession({ roles: ['clerk'], permissions: ['serve-window', 'view-tickets'] })
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.find('[data-testid="staff-no-permission"]').exists()).toBe(true)
    expect(backend.kpi).not.toHaveBeenCalled()
  })

  it('hides staff management and audit without their permissions', async () => {
    const backend = new FakeBackend()
    backend.sessionValue = makeSession({ permissions: ['manage-hall', 'view-hall-kpi'] })
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.find('[data-testid="staff-admin"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="audit-panel"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="hall-kpi"]').exists()).toBe(true)
  })
})

describe('sync list behind a login', () => {
  it('asks for a login on staff.login_required, reloads after it, logs out on the way back', async () => {
    const backend = new FakeBackend()
    backend.sessionValue = null
    backend.unsyncedRecords.mockRejectedValueOnce(new BackendError('staff.login_required', 'log in'))
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)', component: SyncListView }] })
    await router.push('/sync')
    const { wrapper } = await mountView(SyncListView, backend, { router })
    expect(wrapper.find('[data-testid="staff-login"]').exists()).toBe(true)
    await wrapper.get('[data-testid="login-staff-id"]').setValue('s1')
    await wrapper.get('[data-testid="login-password"]').setValue('pw')
    await wrapper.get('[data-testid="login-submit"]').trigger('submit')
    await flushPromises()
    expect(backend.unsyncedRecords).toHaveBeenCalledTimes(2)
    expect(wrapper.find('[data-testid="staff-login"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sync-list-empty"]').exists()).toBe(true)
    // Leaving the list on a resident's kiosk logs the clerk out.
    await wrapper.get('[data-testid="sync-back"]').trigger('click')
    await flushPromises()
    expect(backend.logout).toHaveBeenCalled()
  })
})
