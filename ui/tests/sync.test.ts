// The sync indicator in the chrome and the /sync screen listing the records not yet synced.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import App from '../src/App.vue'
import { BACKEND_KEY } from '../src/backend/inject'
import { BackendError } from '../src/backend/errors'
import type { ConnectionState, Status } from '../src/backend/types'
import ConnectionIndicator from '../src/components/ConnectionIndicator.vue'
import { APP_STATE_KEY, createAppState } from '../src/composables/appState'
import { createAppI18n } from '../src/i18n'
import { createAppRouter } from '../src/router'
import SyncListView from '../src/views/SyncListView.vue'
import { FakeBackend, makeStatus, makeUnsynced, mountView } from './helpers'

type Sync = Status['sync']
const sync = (overrides: Partial<Sync> = {}): Sync => ({
  server: 'https://sync.example.gov.cn',
  state: 'online',
  last_sync_at: null,
  pending: 0,
  refused: 0,
  ...overrides,
})

function memoryRouter() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: { render: () => null } },
      { path: '/sync', component: { render: () => null } },
    ],
  })
}

function mountIndicator(s: Sync, connection: ConnectionState = 'open', locale = 'zh-CN') {
  return mount(ConnectionIndicator, {
    props: { sync: s, connection },
    global: { plugins: [createAppI18n(locale), memoryRouter()] },
  })
}

describe('sync indicator', () => {
  it('says online and all synced, in green with a check mark', () => {
    const w = mountIndicator(sync())
    expect(w.get('[data-testid="sync-state"]').text()).toBe('在线')
    expect(w.get('[data-testid="sync-count"]').text()).toBe('已全部同步')
    expect(w.classes()).toContain('tone-ok')
    expect(w.get('.indicator-symbol').text()).toBe('✓')
  })

  it('counts the records waiting, online and offline, in words as well as colour', () => {
    const online = mountIndicator(sync({ pending: 3 }))
    expect(online.get('[data-testid="sync-count"]').text()).toBe('3 条待同步')
    expect(online.classes()).toContain('tone-info')
    const offline = mountIndicator(sync({ state: 'offline', pending: 2 }))
    expect(offline.get('[data-testid="sync-state"]').text()).toBe('离线')
    expect(offline.get('[data-testid="sync-count"]').text()).toBe('2 条待同步')
    expect(offline.classes()).toContain('tone-warn')
    expect(offline.get('.indicator-symbol').text()).toBe('!')
    const en = mountIndicator(sync({ state: 'offline', pending: 2 }), 'open', 'en')
    expect(en.text()).toContain('Offline')
    expect(en.text()).toContain('2 waiting to sync')
  })

  it('shows refused records as a problem', () => {
    const w = mountIndicator(sync({ pending: 1, refused: 2 }))
    expect(w.get('[data-testid="sync-count"]').text()).toBe('1 条待同步 · 2 条被拒绝')
    expect(w.classes()).toContain('tone-bad')
  })

  it('an unenrolled or revoked terminal is a problem and still counts what waits', () => {
    const unenrolled = mountIndicator(sync({ state: 'unenrolled', pending: 2 }))
    expect(unenrolled.get('[data-testid="sync-state"]').text()).toBe('未接入同步')
    expect(unenrolled.get('[data-testid="sync-count"]').text()).toBe('2 条待同步')
    expect(unenrolled.classes()).toContain('tone-bad')
    const revoked = mountIndicator(sync({ state: 'revoked' }), 'open', 'en')
    expect(revoked.get('[data-testid="sync-state"]').text()).toBe('Sync revoked')
    expect(revoked.classes()).toContain('tone-bad')
  })

  it('a stand-alone terminal shows no waiting count', () => {
    const w = mountIndicator(sync({ state: 'disabled', server: null, pending: 5 }))
    expect(w.get('[data-testid="sync-state"]').text()).toBe('单机运行')
    expect(w.find('[data-testid="sync-count"]').exists()).toBe(false)
  })

  it('says when live updates are down', () => {
    const w = mountIndicator(sync(), 'reconnecting')
    expect(w.text()).toContain('实时连接已断开，正在重新连接…')
    expect(w.classes()).toContain('tone-bad')
  })

  it('links to the list of records not yet synced', () => {
    const w = mountIndicator(sync({ pending: 1 }))
    expect(w.element.tagName).toBe('A')
    expect(w.attributes('href')).toBe('/sync')
    expect(w.text()).toContain('查看尚未同步的记录')
  })
})

describe('records not yet synced screen', () => {
  it('lists each record with its kind, label, status, translated reason and change time', async () => {
    const backend = new FakeBackend(makeStatus({ sync: sync({ state: 'offline', pending: 2, refused: 1 }) }))
    backend.unsyncedRecords.mockResolvedValue({
      total: 3,
      records: [
        makeUnsynced({ id: 'a', label: 'A001' }),
        makeUnsynced({ id: 'b', label: 'A002', status: 'sending' }),
        makeUnsynced({
          id: 'c',
          kind: 'audit-batch',
          label: '…6e7f8a9b',
          status: 'refused',
          reason: { code: 'sync.refused', message: 'scope hall:x not granted' },
        }),
      ],
    })
    const { wrapper } = await mountView(SyncListView, backend, { router: memoryRouter() })
    expect(wrapper.get('[data-testid="sync-list-total"]').text()).toBe('共 3 条')
    const first = wrapper.get('[data-testid="unsynced-A001"]')
    expect(first.text()).toContain('号票')
    expect(first.text()).toContain('仅本机')
    expect(first.get('[data-testid="unsynced-reason"]').text()).toBe('无法连接同步服务器，恢复连接后自动发送')
    expect(first.get('time').attributes('datetime')).toBe('2026-11-23T01:15:00Z')
    expect(wrapper.get('[data-testid="unsynced-A002"]').text()).toContain('同步中')
    const refused = wrapper.get('[data-testid="unsynced-…6e7f8a9b"]')
    // An unknown kind shows as the backend named it rather than disappearing.
    expect(refused.text()).toContain('audit-batch')
    expect(refused.text()).toContain('被拒绝')
    expect(refused.text()).toContain('同步服务器拒绝了这条记录')
    expect(refused.text()).toContain('服务器答复：scope hall:x not granted')
    expect(wrapper.find('[data-testid="sync-list-empty"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sync-list-truncated"]').exists()).toBe(false)
  })

  it('shows an empty state when everything is synced', async () => {
    const { wrapper } = await mountView(SyncListView, new FakeBackend(), { router: memoryRouter() })
    expect(wrapper.get('[data-testid="sync-list-empty"]').text()).toContain('所有记录均已同步')
    expect(wrapper.find('[data-testid="sync-list"]').exists()).toBe(false)
  })

  it('falls back to the backend message for a reason it has no words for, and speaks English', async () => {
    const backend = new FakeBackend()
    backend.unsyncedRecords.mockResolvedValue({
      total: 2,
      records: [
        makeUnsynced({ reason: { code: 'sync.queued', message: 'x' } }),
        makeUnsynced({ id: 'z', label: 'B001', reason: { code: 'sync.future', message: 'a newer reason' } }),
      ],
    })
    const { wrapper } = await mountView(SyncListView, backend, { locale: 'en', router: memoryRouter() })
    expect(wrapper.get('[data-testid="unsynced-A001"] [data-testid="unsynced-reason"]').text()).toBe(
      'Waiting for the next sync',
    )
    expect(wrapper.get('[data-testid="unsynced-B001"] [data-testid="unsynced-reason"]').text()).toBe('a newer reason')
    expect(wrapper.get('[data-testid="unsynced-A001"]').text()).toContain('Ticket')
  })

  it('says when it shows only the longest-waiting page', async () => {
    const backend = new FakeBackend()
    backend.unsyncedRecords.mockResolvedValue({ total: 250, records: [makeUnsynced()] })
    const { wrapper } = await mountView(SyncListView, backend, { router: memoryRouter() })
    expect(wrapper.get('[data-testid="sync-list-truncated"]').text()).toBe('显示等待最久的 1 条，共 250 条')
  })

  it('reloads on sync, ticket, case and status events and after a reconnect, not on device health', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(SyncListView, backend, { router: memoryRouter() })
    expect(backend.unsyncedRecords).toHaveBeenCalledTimes(1)
    backend.unsyncedRecords.mockResolvedValue({ total: 1, records: [makeUnsynced()] })
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="unsynced-A001"]').exists()).toBe(true)
    backend.unsyncedRecords.mockResolvedValue({ total: 0, records: [] })
    backend.emit({ type: 'sync.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="sync-list-empty"]').exists()).toBe(true)
    backend.emit({ type: 'devices.changed' })
    await flushPromises()
    expect(backend.unsyncedRecords).toHaveBeenCalledTimes(3)
    backend.unsyncedRecords.mockResolvedValue({
      total: 1,
      records: [makeUnsynced({ kind: 'application', label: '…6e7f8a9b' })],
    })
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    expect(backend.unsyncedRecords).toHaveBeenCalledTimes(4)
    expect(wrapper.get('[data-testid="unsynced-…6e7f8a9b"]').text()).toContain('办件')
    backend.setConnection('reconnecting')
    backend.setConnection('open')
    await flushPromises()
    expect(backend.unsyncedRecords).toHaveBeenCalledTimes(5)
  })

  it('shows a translated error when the list cannot be loaded', async () => {
    const backend = new FakeBackend()
    backend.unsyncedRecords.mockRejectedValue(new BackendError('client.unreachable', 'Failed to fetch'))
    const { wrapper } = await mountView(SyncListView, backend, { router: memoryRouter() })
    expect(wrapper.get('[data-testid="sync-list-error"]').text()).toBe('无法加载尚未同步的记录：无法连接本机办事服务')
  })
})

describe('sync indicator in the app', () => {
  afterEach(() => {
    vi.useRealTimers()
    document.body.innerHTML = ''
    window.location.hash = ''
  })

  async function mountApp(backend: FakeBackend) {
    const state = createAppState(backend)
    const router = createAppRouter(state)
    state.start()
    const wrapper = mount(App, {
      attachTo: document.body,
      global: {
        plugins: [createAppI18n(), router],
        provide: { [BACKEND_KEY as symbol]: backend, [APP_STATE_KEY as symbol]: state },
      },
    })
    await router.push('/')
    await flushPromises()
    return { wrapper, router }
  }

  it('is on every mode screen, follows sync events, and opens the list and comes back', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'queue-ticket' }))
    const { wrapper, router } = await mountApp(backend)
    for (const mode of ['self-service', 'queue-ticket', 'call-screen', 'window', 'field', 'office', 'background', 'admin']) {
      await router.push(`/${mode}`)
      await flushPromises()
      expect(wrapper.find('[data-testid="sync-indicator"]').exists(), mode).toBe(true)
    }
    await router.push('/queue-ticket')
    await flushPromises()
    expect(wrapper.get('[data-testid="sync-count"]').text()).toBe('已全部同步')

    backend.statusValue = makeStatus({ mode: 'queue-ticket', sync: sync({ state: 'offline', pending: 1 }) })
    backend.unsyncedRecords.mockResolvedValue({ total: 1, records: [makeUnsynced()] })
    backend.emit({ type: 'sync.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="sync-state"]').text()).toBe('离线')
    expect(wrapper.get('[data-testid="sync-count"]').text()).toBe('1 条待同步')

    await wrapper.get('[data-testid="sync-indicator"]').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/sync')
    expect(wrapper.find('[data-testid="unsynced-A001"]').exists()).toBe(true)
    // The list screen keeps the terminal's chrome: a queue machine's kiosk size and title.
    expect(document.documentElement.dataset.variant).toBe('kiosk')
    expect(wrapper.find('[data-testid="sync-indicator"]').exists()).toBe(true)

    await wrapper.get('[data-testid="sync-back"]').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/queue-ticket')
  })

  it('an idle kiosk goes back from the list to its first screen', async () => {
    vi.useFakeTimers()
    const backend = new FakeBackend(makeStatus({ mode: 'self-service', idle_timeout_secs: 30 }))
    const { router } = await mountApp(backend)
    await router.push('/sync')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/sync')
    await vi.advanceTimersByTimeAsync(30_000)
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/self-service')
  })
})
