import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import App from '../src/App.vue'
import { BACKEND_KEY } from '../src/backend/inject'
import { BackendError } from '../src/backend/errors'
import { APP_STATE_KEY, createAppState } from '../src/composables/appState'
import { createAppI18n } from '../src/i18n'
import { createAppRouter } from '../src/router'
import { FakeBackend, makeStatus, makeTicket } from './helpers'

async function mountApp(backend: FakeBackend, waitForRoute = true) {
  const state = createAppState(backend, { retryDelaySecs: () => 3 })
  const i18n = createAppI18n()
  const router = createAppRouter(state)
  state.start()
  const wrapper = mount(App, {
    attachTo: document.body,
    global: {
      plugins: [i18n, router],
      provide: { [BACKEND_KEY as symbol]: backend, [APP_STATE_KEY as symbol]: state },
    },
  })
  const navigated = router.push('/')
  if (waitForRoute) await navigated
  await flushPromises()
  return { wrapper, router, state, i18n }
}

afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
  window.location.hash = ''
})

describe('app start', () => {
  it('goes to the route of status.mode and shows the chrome', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'window', default_language: 'en' }))
    backend.listTickets.mockResolvedValue([makeTicket()])
    const { wrapper, router, i18n } = await mountApp(backend)
    expect(router.currentRoute.value.path).toBe('/window')
    expect(wrapper.find('[data-testid="mode-window"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="terminal-id"]').text()).toBe('T-QT-01')
    expect(wrapper.get('[data-testid="outlet"]').text()).toBe('海口市民游客中心')
    expect(wrapper.get('[data-testid="fault-hotline"]').text()).toBe('0898-12345')
    expect(i18n.global.locale.value).toBe('en')
    expect(document.documentElement.lang).toBe('en')
    expect(wrapper.find('[data-testid="ticket-A001"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('every mode has a route with its root test id', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'admin' }))
    const { wrapper, router } = await mountApp(backend)
    for (const mode of ['self-service', 'queue-ticket', 'call-screen', 'window', 'field', 'office', 'background', 'admin']) {
      await router.push(`/${mode}`)
      await flushPromises()
      expect(wrapper.find(`[data-testid="mode-${mode}"]`).exists(), mode).toBe(true)
      expect(wrapper.find('[data-testid="terminal-id"]').exists(), mode).toBe(true)
    }
    wrapper.unmount()
  })

  it('shows a translated full-page error while the backend is unreachable, and retries', async () => {
    vi.useFakeTimers()
    const backend = new FakeBackend(makeStatus({ mode: 'queue-ticket' }))
    backend.status.mockRejectedValueOnce(new BackendError('client.unreachable', 'Failed to fetch'))
    const { wrapper, router } = await mountApp(backend, false)
    const page = wrapper.get('[data-testid="startup-error"]')
    expect(page.text()).toContain('无法连接本机办事服务')
    expect(page.text()).toContain('3 秒后自动重试')
    await vi.advanceTimersByTimeAsync(3000)
    await flushPromises()
    expect(wrapper.find('[data-testid="startup-error"]').exists()).toBe(false)
    expect(router.currentRoute.value.path).toBe('/queue-ticket')
    expect(wrapper.find('[data-testid="category-A"]').exists()).toBe(true)
    wrapper.unmount()
  })

  it('opens the help dialog and switches language', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'self-service' }))
    const { wrapper } = await mountApp(backend)
    await wrapper.get('[data-testid="help-button"]').trigger('click')
    expect(wrapper.get('[data-testid="help-dialog"]').text()).toContain('工作人员马上就到')
    await wrapper.get('[data-testid="help-dialog"] button').trigger('click')
    expect(wrapper.find('[data-testid="help-dialog"]').exists()).toBe(false)
    await wrapper.get('[data-testid="lang-en"]').trigger('click')
    expect(wrapper.get('[data-testid="tile-personal"]').text()).toBe('Personal services')
    expect(wrapper.get('[data-testid="lang-en"]').attributes('aria-pressed')).toBe('true')
    wrapper.unmount()
  })

  it('reloads the status on status events and shows sync state', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'field' }))
    const { wrapper } = await mountApp(backend)
    expect(wrapper.get('[data-testid="sync-pending"]').text()).toBe('已全部同步')
    backend.statusValue = makeStatus({
      mode: 'field',
      sync: { server: null, state: 'offline', last_sync_at: null, pending: 4, refused: 0 },
    })
    backend.emit({ type: 'sync.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="sync-pending"]').text()).toBe('4 条待同步')
    expect(wrapper.get('[data-testid="sync-indicator"]').text()).toContain('离线')
    wrapper.unmount()
  })
})
