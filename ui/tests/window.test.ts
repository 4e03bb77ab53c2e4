import { describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import WindowView from '../src/views/WindowView.vue'
import { FakeBackend, NO_RATINGS, makeHallSetup, makeTicket, makeWindowState } from './helpers'
import { mountView } from './helpers'

describe('window screen', () => {
  it('lists the waiting tickets from list_tickets()', async () => {
    const backend = new FakeBackend()
    backend.listTickets.mockResolvedValue([
      makeTicket({ id: '1', number: 'A001', sync_status: 'synced' }),
      makeTicket({ id: '2', number: 'A002', status: 'called' }),
      makeTicket({ id: '3', number: 'B001', category: 'B', category_name: { 'zh-CN': '社保医保' }, issued_by: 'T-QT-02' }),
    ])
    const { wrapper } = await mountView(WindowView, backend)
    const list = wrapper.get('[data-testid="waiting-list"]')
    expect(list.find('[data-testid="ticket-A001"]').exists()).toBe(true)
    expect(list.find('[data-testid="ticket-A002"]').exists()).toBe(false)
    const b = list.get('[data-testid="ticket-B001"]')
    expect(b.text()).toContain('社保医保')
    expect(b.text()).toContain('T-QT-02')
    expect(b.text()).toContain('仅本机')
    expect(list.get('[data-testid="ticket-A001"]').text()).toContain('已同步')
    expect(wrapper.get('[data-testid="action-callNext"]').attributes('disabled')).toBeUndefined()
  })

  it('refreshes the list on a tickets.changed event', async () => {
    const backend = new FakeBackend()
    backend.listTickets.mockResolvedValue([makeTicket({ id: '1', number: 'A001' })])
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="ticket-A002"]').exists()).toBe(false)

    backend.listTickets.mockResolvedValue([
      makeTicket({ id: '1', number: 'A001' }),
      makeTicket({ id: '2', number: 'A002' }),
    ])
    backend.emit({ type: 'devices.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="ticket-A002"]').exists()).toBe(false)

    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="ticket-A002"]').exists()).toBe(true)
    expect(wrapper.findAll('[data-testid^="ticket-"]')).toHaveLength(2)
  })

  it('reloads when the live channel comes back', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(WindowView, backend)
    const calls = backend.listTickets.mock.calls.length
    backend.setConnection('reconnecting')
    backend.listTickets.mockResolvedValue([makeTicket({ number: 'A009' })])
    backend.setConnection('open')
    await flushPromises()
    expect(backend.listTickets.mock.calls.length).toBe(calls + 1)
    expect(wrapper.find('[data-testid="ticket-A009"]').exists()).toBe(true)
  })

  it('shows a translated load error and stops listening when unmounted', async () => {
    const backend = new FakeBackend()
    backend.listTickets.mockRejectedValue(new BackendError('client.unreachable', 'Failed to fetch'))
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.get('[data-testid="queue-error"]').text()).toContain('无法连接本机办事服务')
    const before = backend.subscribers
    wrapper.unmount()
    // The ticket list, the window state and the intake workspace each listened.
    expect(backend.subscribers).toBe(before - 3)
  })
})

const applicant = { name: '李四', id_number: '460100199001011234', age: 36 }

describe('window desk: session and toolbar', () => {
  it('opens a closed window for the logged-in staff member and signs it out', async () => {
    const backend = new FakeBackend()
    backend.windowState.mockResolvedValue(makeWindowState({ session: null }))
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="action-callNext"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="window-closed"]').text()).toContain('3 号窗口未开放')
    await wrapper.get('[data-testid="window-open"]').trigger('click')
    await flushPromises()
    expect(backend.windowSignIn).toHaveBeenCalledWith()
    expect(wrapper.find('[data-testid="action-callNext"]').exists()).toBe(true)
    await wrapper.get('[data-testid="sign-out"]').trigger('click')
    await flushPromises()
    expect(backend.windowSignOut).toHaveBeenCalled()
    expect(wrapper.find('[data-testid="window-closed"]').exists()).toBe(true)
  })

  it('calls the right backend method for each toolbar action', async () => {
    const current = makeTicket({ number: 'A012', status: 'called', recalls: 2 })
    const backend = new FakeBackend()
    const open = makeWindowState({ current })
    backend.windowState.mockResolvedValue(open)
    for (const fn of [backend.windowCallNext, backend.windowRecall, backend.windowFinish, backend.windowNoShow]) {
      fn.mockResolvedValue(open)
    }
    backend.windowPause.mockResolvedValue(
      makeWindowState({ current, session: { ...open.session!, paused: true } }),
    )
    const { wrapper } = await mountView(WindowView, backend)
    await wrapper.get('[data-testid="action-callNext"]').trigger('click')
    await flushPromises()
    expect(backend.windowCallNext).toHaveBeenCalledTimes(1)
    await wrapper.get('[data-testid="action-recall"]').trigger('click')
    await flushPromises()
    expect(backend.windowRecall).toHaveBeenCalledTimes(1)
    await wrapper.get('[data-testid="action-skip"]').trigger('click')
    await flushPromises()
    expect(backend.windowNoShow).toHaveBeenCalledTimes(1)
    await wrapper.get('[data-testid="action-finish"]').trigger('click')
    await flushPromises()
    expect(backend.windowFinish).toHaveBeenCalledTimes(1)
    await wrapper.get('[data-testid="action-pause"]').trigger('click')
    await flushPromises()
    expect(backend.windowPause).toHaveBeenCalledWith(true)
    // Paused: the button resumes, calling is off.
    const pause = wrapper.get('[data-testid="action-pause"]')
    expect(pause.attributes('aria-pressed')).toBe('true')
    expect(pause.text()).toBe('恢复')
    expect(wrapper.get('[data-testid="action-callNext"]').attributes('disabled')).toBeDefined()
    expect(wrapper.find('[data-testid="paused-notice"]').exists()).toBe(true)
    backend.windowPause.mockResolvedValue(open)
    await pause.trigger('click')
    await flushPromises()
    expect(backend.windowPause).toHaveBeenLastCalledWith(false)
  })

  it('keeps no-show disabled until the ticket was recalled enough', async () => {
    const backend = new FakeBackend()
    backend.windowState.mockResolvedValue(
      makeWindowState({ current: makeTicket({ status: 'called', recalls: 0 }), recalls_before_no_show: 2 }),
    )
    backend.windowRecall.mockResolvedValueOnce(
      makeWindowState({ current: makeTicket({ status: 'called', recalls: 1 }), recalls_before_no_show: 2 }),
    )
    backend.windowRecall.mockResolvedValueOnce(
      makeWindowState({ current: makeTicket({ status: 'called', recalls: 2 }), recalls_before_no_show: 2 }),
    )
    const { wrapper } = await mountView(WindowView, backend)
    const skip = () => wrapper.get('[data-testid="action-skip"]')
    expect(skip().attributes('disabled')).toBeDefined()
    expect(wrapper.get('[data-testid="current-recalls"]').text()).toContain('重呼 2 次后才能记为过号')
    await wrapper.get('[data-testid="action-recall"]').trigger('click')
    await flushPromises()
    expect(skip().attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="action-recall"]').trigger('click')
    await flushPromises()
    expect(skip().attributes('disabled')).toBeUndefined()
    expect(wrapper.get('[data-testid="current-recalls"]').text()).toBe('已重呼 2 次')
  })

  it('disables the ticket actions when nothing is being served', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(WindowView, backend)
    for (const a of ['recall', 'skip', 'transfer', 'finish']) {
      expect(wrapper.get(`[data-testid="action-${a}"]`).attributes('disabled'), a).toBeDefined()
    }
    expect(wrapper.find('[data-testid="no-current"]').exists()).toBe(true)
  })

  it('shows the current ticket with priority and masked applicant data', async () => {
    const backend = new FakeBackend()
    backend.windowState.mockResolvedValue(
      makeWindowState({
        current: makeTicket({
          number: 'A012',
          status: 'called',
          priority: 'elderly',
          applicant,
          recalls: 1,
          called_at: '2026-11-23T09:30:05+08:00',
          transferred_from: 'B',
        }),
      }),
    )
    const { wrapper } = await mountView(WindowView, backend)
    const panel = wrapper.get('[data-testid="current-ticket"]')
    expect(panel.get('[data-testid="current-number"]').text()).toBe('A012')
    expect(panel.get('[data-testid="current-priority"]').text()).toBe('老年人优先')
    expect(panel.get('[data-testid="current-category"]').text()).toContain('综合业务')
    expect(panel.get('[data-testid="current-category"]').text()).toContain('由 社保医保 转来')
    expect(panel.get('[data-testid="current-applicant"]').text()).toBe('李*')
    expect(panel.get('[data-testid="current-id-number"]').text()).toBe('4601**********1234')
    expect(panel.text()).not.toContain('460100199001011234')
    expect(panel.text()).toContain('已重呼 1 次')
  })

  it('shows the lost-call notice until the next action', async () => {
    const backend = new FakeBackend()
    const a013 = makeTicket({ number: 'A013', status: 'called' })
    backend.windowCallNext.mockResolvedValue(makeWindowState({ current: a013, lost: { number: 'A012', window: 3 } }))
    backend.windowRecall.mockResolvedValue(makeWindowState({ current: a013 }))
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="lost-notice"]').exists()).toBe(false)
    await wrapper.get('[data-testid="action-callNext"]').trigger('click')
    await flushPromises()
    backend.windowState.mockResolvedValue(makeWindowState({ current: a013 }))
    expect(wrapper.get('[data-testid="lost-notice"]').text()).toBe('A012 已由 3 号窗口叫号，已为您叫下一位')
    // A refresh right after (the call's own tickets.changed) no longer carries `lost`: the notice stays.
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="lost-notice"]').exists()).toBe(true)
    await wrapper.get('[data-testid="action-recall"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="lost-notice"]').exists()).toBe(false)
  })

  it('shows a translated action error', async () => {
    const backend = new FakeBackend()
    backend.windowCallNext.mockRejectedValue(new BackendError('queue.window_paused', 'paused'))
    const { wrapper } = await mountView(WindowView, backend, { locale: 'en' })
    await wrapper.get('[data-testid="action-callNext"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="action-error"]').text()).toBe(
      'Action failed: The window is paused; resume it first',
    )
  })

  it('transfers to a category or a window from the dialog', async () => {
    const backend = new FakeBackend()
    const served = makeWindowState({ current: makeTicket({ number: 'A012', status: 'called' }) })
    backend.windowState.mockResolvedValue(served)
    backend.hallSetup.mockResolvedValue(makeHallSetup())
    backend.windowTransfer.mockResolvedValue(served)
    const { wrapper } = await mountView(WindowView, backend, { attach: true })
    await wrapper.get('[data-testid="action-transfer"]').trigger('click')
    await flushPromises()
    const dialog = wrapper.get('[data-testid="transfer-dialog"]')
    expect(dialog.text()).toContain('转移 A012')
    // Not to its own category, not to this window.
    expect(dialog.find('[data-testid="transfer-category-A"]').exists()).toBe(false)
    expect(dialog.find('[data-testid="transfer-window-3"]').exists()).toBe(false)
    await dialog.get('[data-testid="transfer-category-B"]').trigger('click')
    await flushPromises()
    expect(backend.windowTransfer).toHaveBeenCalledWith({ category: 'B' })
    expect(wrapper.find('[data-testid="transfer-dialog"]').exists()).toBe(false)

    await wrapper.get('[data-testid="action-transfer"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="transfer-window-2"]').trigger('click')
    await flushPromises()
    expect(backend.windowTransfer).toHaveBeenLastCalledWith({ window: 2 })
  })

  it('shows today\'s figures of this window and refreshes on tickets.changed', async () => {
    const backend = new FakeBackend()
    backend.windowState.mockResolvedValue(
      makeWindowState({
        waiting: 6,
        kpi: {
          called: 12,
          served: 10,
          no_shows: 1,
          avg_wait_secs: 425,
          avg_service_secs: 38,
          ratings: { total: 3, by_grade: [1, 1, 0, 0, 1], defaulted: 0, good_pct: 200 / 3 },
        },
      }),
    )
    const { wrapper } = await mountView(WindowView, backend)
    const kpi = wrapper.get('[data-testid="window-kpi"]')
    expect(kpi.get('[data-testid="kpi-called"]').text()).toBe('12')
    expect(kpi.get('[data-testid="kpi-served"]').text()).toBe('10')
    expect(kpi.get('[data-testid="kpi-no-shows"]').text()).toBe('1')
    expect(kpi.get('[data-testid="kpi-avg-wait"]').text()).toBe('7 分 5 秒')
    expect(kpi.get('[data-testid="kpi-avg-service"]').text()).toBe('38 秒')
    expect(kpi.get('[data-testid="kpi-waiting"]').text()).toBe('6')
    expect(kpi.get('[data-testid="kpi-ratings"]').text()).toBe('3')
    expect(kpi.get('[data-testid="kpi-good-rate"]').text()).toBe('67%')

    backend.windowState.mockResolvedValue(
      makeWindowState({
        kpi: { called: 13, served: 11, no_shows: 1, avg_wait_secs: null, avg_service_secs: null, ratings: NO_RATINGS },
      }),
    )
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="kpi-called"]').text()).toBe('13')
    expect(wrapper.get('[data-testid="kpi-avg-wait"]').text()).toBe('—')
    expect(wrapper.get('[data-testid="kpi-good-rate"]').text()).toBe('—')
  })

  it('counts a rating given at the desk as soon as it is recorded (cases.changed)', async () => {
    const backend = new FakeBackend()
    backend.windowState.mockResolvedValue(makeWindowState())
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.get('[data-testid="kpi-ratings"]').text()).toBe('0')
    backend.windowState.mockResolvedValue(
      makeWindowState({ kpi: { ...makeWindowState().kpi, ratings: { total: 1, by_grade: [0, 1, 0, 0, 0], defaulted: 0, good_pct: 100 } } }),
    )
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="kpi-ratings"]').text()).toBe('1')
    expect(wrapper.get('[data-testid="kpi-good-rate"]').text()).toBe('100%')
  })
})
