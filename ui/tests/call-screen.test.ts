import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import CallScreenView from '../src/views/CallScreenView.vue'
import { FakeBackend, makeCalls, mountView } from './helpers'

afterEach(() => {
  vi.useRealTimers()
})

describe('call screen', () => {
  it('shows the newest call, each window, the recent calls and the waiting counts', async () => {
    const backend = new FakeBackend()
    const { wrapper } = await mountView(CallScreenView, backend)
    expect(wrapper.get('[data-testid="now-calling"]').text()).toBe('A012')
    expect(wrapper.text()).toContain('请 A012 号到 1 号窗口 办理')

    const w1 = wrapper.get('[data-testid="call-window-1"]')
    expect(w1.text()).toContain('1 号窗口')
    expect(w1.get('[data-testid="call-current"]').text()).toBe('A012')
    const w2 = wrapper.get('[data-testid="call-window-2"]')
    expect(w2.find('[data-testid="call-current"]').exists()).toBe(false)
    expect(w2.text()).toContain('暂停服务')
    expect(wrapper.get('[data-testid="call-window-3"]').text()).toContain('未开放')

    const recent = wrapper.get('[data-testid="recent-calls"]')
    expect(recent.findAll('li').map((li) => li.text())).toEqual(['A0121 号窗口', 'B0032 号窗口'])
    expect(wrapper.find('[data-testid="recent-B003"]').exists()).toBe(true)

    expect(wrapper.get('[data-testid="waiting-A"]').text()).toContain('综合业务')
    expect(wrapper.get('[data-testid="waiting-A"]').text()).toContain('5 人')
    expect(wrapper.get('[data-testid="waiting-B"]').text()).toContain('0 人')
    expect(wrapper.text()).toContain('共 5 人等候')
  })

  it('shows the empty state when nothing was called yet', async () => {
    const backend = new FakeBackend()
    backend.calls.mockResolvedValue(makeCalls({ recent: [], windows: [] }))
    const { wrapper } = await mountView(CallScreenView, backend)
    expect(wrapper.find('[data-testid="now-calling-empty"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="recent-calls"]').exists()).toBe(false)
  })

  it('refreshes on tickets.changed and every 2 s, and keeps the last data when a poll fails', async () => {
    vi.useFakeTimers()
    const backend = new FakeBackend()
    const { wrapper } = await mountView(CallScreenView, backend)
    expect(backend.calls).toHaveBeenCalledTimes(1)

    backend.calls.mockResolvedValue(
      makeCalls({ recent: [{ number: 'B004', window: 2, called_at: '2026-11-23T09:31:00+08:00' }] }),
    )
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="now-calling"]').text()).toBe('B004')

    backend.calls.mockRejectedValue(new BackendError('client.unreachable', 'down'))
    await vi.advanceTimersByTimeAsync(2000)
    expect(backend.calls).toHaveBeenCalledTimes(3)
    expect(wrapper.get('[data-testid="now-calling"]').text()).toBe('B004')
    expect(wrapper.find('.cs-error').exists()).toBe(true)

    backend.calls.mockResolvedValue(makeCalls())
    await vi.advanceTimersByTimeAsync(2000)
    expect(backend.calls).toHaveBeenCalledTimes(4)
    expect(wrapper.get('[data-testid="now-calling"]').text()).toBe('A012')
    expect(wrapper.find('.cs-error').exists()).toBe(false)

    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(backend.calls).toHaveBeenCalledTimes(4)
  })
})
