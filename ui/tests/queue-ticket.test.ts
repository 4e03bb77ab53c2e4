import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import QueueTicketView from '../src/views/QueueTicketView.vue'
import { FakeBackend, makeTicket, mountView } from './helpers'

afterEach(() => {
  vi.useRealTimers()
})

describe('queue-ticket screen', () => {
  it('shows a button per category in the current language', async () => {
    const { wrapper } = await mountView(QueueTicketView, new FakeBackend(), { locale: 'en' })
    expect(wrapper.find('[data-testid="mode-queue-ticket"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="category-A"]').text()).toContain('General services')
    // No English name: falls back to zh-CN.
    expect(wrapper.get('[data-testid="category-B"]').text()).toContain('社保医保')
  })

  it('issues a ticket and shows the number, category and people ahead', async () => {
    const backend = new FakeBackend()
    backend.issueTicket.mockResolvedValue(makeTicket({ number: 'A042', people_ahead: 7 }))
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    expect(backend.issueTicket).toHaveBeenCalledWith('A')
    expect(wrapper.get('[data-testid="issued-number"]').text()).toBe('A042')
    expect(wrapper.get('[data-testid="issued-category"]').text()).toBe('综合业务')
    expect(wrapper.get('[data-testid="people-ahead"]').text()).toBe('前面还有 7 人等候')
    expect(wrapper.find('[data-testid="print-ok"]').exists()).toBe(true)
  })

  it('ignores a second tap while a ticket is being issued', async () => {
    const backend = new FakeBackend()
    let finish!: () => void
    backend.issueTicket.mockImplementation(
      () => new Promise((resolve) => (finish = () => resolve(makeTicket()))),
    )
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await wrapper.get('[data-testid="category-B"]').trigger('click')
    finish()
    await flushPromises()
    expect(backend.issueTicket).toHaveBeenCalledTimes(1)
  })

  it('shows the translated print error', async () => {
    const backend = new FakeBackend()
    backend.issueTicket.mockResolvedValue(
      makeTicket({ printed: false, print_error: { code: 'printer.paper_out', message: 'paper out' } }),
    )
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="print-error"]').text()).toContain('打印机缺纸')
  })

  it('shows a translated error when issuing fails', async () => {
    const backend = new FakeBackend()
    backend.issueTicket.mockRejectedValue(new BackendError('queue.unknown_category', 'no such category'))
    const { wrapper } = await mountView(QueueTicketView, backend, { locale: 'en' })
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="issue-error"]').text()).toBe(
      'Could not take a number: There is no such service category',
    )
  })

  it('returns to the categories after a few seconds', async () => {
    vi.useFakeTimers()
    const backend = new FakeBackend()
    const { wrapper } = await mountView(QueueTicketView, backend, { props: { returnAfterSecs: 5 } })
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="issued-number"]').exists()).toBe(true)
    await vi.advanceTimersByTimeAsync(4000)
    expect(wrapper.find('[data-testid="issued-number"]').exists()).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    expect(wrapper.find('[data-testid="issued-number"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="category-A"]').exists()).toBe(true)
  })
})

describe('queue-ticket session reset', () => {
  it('signals a session reset when the result times out (language goes back to default)', async () => {
    vi.useFakeTimers()
    const { wrapper, state } = await mountView(QueueTicketView, new FakeBackend(), { props: { returnAfterSecs: 3 } })
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    await vi.advanceTimersByTimeAsync(3000)
    expect(state.sessionResets.value).toBe(1)
    expect(wrapper.find('[data-testid="category-A"]').exists()).toBe(true)
    wrapper.unmount()
  })
})
