import { describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import CallScreenView from '../src/views/CallScreenView.vue'
import { FakeBackend, makeTicket, mountView } from './helpers'

describe('call screen', () => {
  it('shows the empty state, then what is called and waiting counts, live', async () => {
    const backend = new FakeBackend()
    backend.listTickets.mockResolvedValue([makeTicket({ id: '1', number: 'A001' })])
    const { wrapper } = await mountView(CallScreenView, backend)
    expect(wrapper.find('[data-testid="now-calling-empty"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="waiting-A"]').text()).toContain('1 人')
    expect(wrapper.get('[data-testid="waiting-B"]').text()).toContain('0 人')

    backend.listTickets.mockResolvedValue([
      makeTicket({ id: '1', number: 'A001', status: 'done' }),
      makeTicket({ id: '2', number: 'A002', status: 'called' }),
      makeTicket({ id: '3', number: 'B001', category: 'B', status: 'waiting' }),
      makeTicket({ id: '4', number: 'B002', category: 'B', status: 'waiting' }),
    ])
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="now-calling"]').text()).toBe('A002')
    expect(wrapper.find('[data-testid="recent-A001"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="waiting-A"]').text()).toContain('0 人')
    expect(wrapper.get('[data-testid="waiting-B"]').text()).toContain('2 人')
  })
})
