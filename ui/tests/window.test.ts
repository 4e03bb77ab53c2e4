import { describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import WindowView from '../src/views/WindowView.vue'
import { FakeBackend, makeTicket } from './helpers'
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
    // The toolbar is there, but its actions are not live yet.
    expect(wrapper.get('[data-testid="action-callNext"]').attributes('aria-disabled')).toBe('true')
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
    expect(backend.subscribers).toBe(before - 1)
  })
})
