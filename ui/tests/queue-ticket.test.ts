import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import QueueTicketView from '../src/views/QueueTicketView.vue'
import { FakeBackend, makeIdentity, makeTicket, mountView } from './helpers'

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
    expect(backend.issueTicket).toHaveBeenCalledWith('A', {})
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

describe('queue-ticket identity and priorities', () => {
  it('reads the ID card and shows the masked name, age and the elderly badge', async () => {
    const backend = new FakeBackend()
    backend.identify.mockResolvedValue(makeIdentity({ name: '张三丰', age: 72, elderly: true }))
    const { wrapper } = await mountView(QueueTicketView, backend)
    expect(wrapper.find('[data-testid="identity-card"]').exists()).toBe(false)
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    const card = wrapper.get('[data-testid="identity-card"]')
    // Masked again on screen even if the backend forgot to.
    expect(card.text()).toContain('张*丰')
    expect(card.text()).not.toContain('张三丰')
    expect(card.text()).toContain('72 岁')
    expect(wrapper.get('[data-testid="priority-elderly"]').text()).toBe('老年人优先')
  })

  it('shows no elderly badge for a younger resident', async () => {
    const backend = new FakeBackend()
    backend.identify.mockResolvedValue(makeIdentity({ age: 40, elderly: false }))
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="identity-card"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="priority-elderly"]').exists()).toBe(false)
  })

  it('shows a translated reader error', async () => {
    const backend = new FakeBackend()
    backend.identify.mockRejectedValue(new BackendError('idcard.no_card', 'no card on the reader'))
    const { wrapper } = await mountView(QueueTicketView, backend, { locale: 'en' })
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="identify-error"]').text()).toBe(
      'Could not read the card: No ID card found; please place it on the reader',
    )
  })

  it('issues with the identity token and a declared priority, then forgets both', async () => {
    const backend = new FakeBackend()
    backend.issueTicket.mockResolvedValue(makeTicket({ number: 'A007', priority: 'green' }))
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="priority-disabled"]').trigger('click')
    await wrapper.get('[data-testid="priority-green"]').trigger('click')
    // The two declarations exclude each other.
    expect(wrapper.get('[data-testid="priority-disabled"]').attributes('aria-pressed')).toBe('false')
    expect(wrapper.get('[data-testid="priority-green"]').attributes('aria-pressed')).toBe('true')
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    expect(backend.issueTicket).toHaveBeenCalledWith('A', { identity: 'tok-1', priority: 'green' })
    expect(wrapper.get('[data-testid="ticket-result"]').text()).toContain('A007')
    expect(wrapper.get('[data-testid="issued-priority"]').text()).toBe('绿色通道')

    await wrapper.get('[data-testid="back"]').trigger('click')
    expect(wrapper.find('[data-testid="identity-card"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="priority-green"]').attributes('aria-pressed')).toBe('false')
  })

  it('forgets the identity on the idle session reset', async () => {
    const backend = new FakeBackend()
    const { wrapper, state } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="identity-card"]').exists()).toBe(true)
    state.resetSession()
    await flushPromises()
    expect(wrapper.find('[data-testid="identity-card"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="identify"]').exists()).toBe(true)
  })

  it('forgets an expired identity', async () => {
    const backend = new FakeBackend()
    backend.issueTicket.mockRejectedValue(new BackendError('queue.identity_expired', 'token expired'))
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-testid="category-A"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="issue-error"]').text()).toContain('身份信息已过期，请重新刷身份证')
    await wrapper.get('[data-testid="back"]').trigger('click')
    expect(wrapper.find('[data-testid="identity-card"]').exists()).toBe(false)
  })
})

describe('queue-ticket appointment check-in', () => {
  it('checks in with a booking number typed on the digit pad', async () => {
    const backend = new FakeBackend()
    backend.checkIn.mockResolvedValue(makeTicket({ number: 'A101', priority: 'appointment', appointment: '2051' }))
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="checkin-open"]').trigger('click')
    expect(wrapper.get('[data-testid="checkin-submit"]').attributes('disabled')).toBeDefined()
    for (const d of ['2', '0', '5', '9', 'back', '1']) await wrapper.get(`[data-testid="digit-${d}"]`).trigger('click')
    expect((wrapper.get('[data-testid="booking-number"]').element as HTMLInputElement).value).toBe('2051')
    await wrapper.get('[data-testid="checkin-submit"]').trigger('submit')
    await flushPromises()
    expect(backend.checkIn).toHaveBeenCalledWith({ bookingNumber: '2051' })
    expect(wrapper.get('[data-testid="issued-number"]').text()).toBe('A101')
    expect(wrapper.get('[data-testid="issued-priority"]').text()).toBe('预约')
    expect(wrapper.get('[data-testid="issued-appointment"]').text()).toBe('2051')
  })

  it('shows check-in errors translated, with the allowed times from the backend', async () => {
    const backend = new FakeBackend()
    backend.checkIn.mockRejectedValueOnce(new BackendError('appointment.not_found', 'no appointment 99'))
    backend.checkIn.mockRejectedValueOnce(
      new BackendError('appointment.too_early', 'check-in opens at 10:30 (slot 11:00-11:30)'),
    )
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="checkin-open"]').trigger('click')
    await wrapper.get('[data-testid="booking-number"]').setValue('99')
    await wrapper.get('[data-testid="checkin-submit"]').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="checkin-error"]').text()).toBe('签到失败：没有找到这个预约，请核对预约号')
    await wrapper.get('[data-testid="checkin-submit"]').trigger('submit')
    await flushPromises()
    const text = wrapper.get('[data-testid="checkin-error"]').text()
    expect(text).toContain('签到失败：还没到签到时间')
    expect(text).toContain('10:30')
    // Still on the check-in panel: the resident can correct the number.
    expect(wrapper.find('[data-testid="booking-number"]').exists()).toBe(true)
  })

  it('lists the identified resident\'s appointments and checks one in with the card', async () => {
    const backend = new FakeBackend()
    backend.identify.mockResolvedValue(
      makeIdentity({ appointments: [{ booking_number: 'B-77', category: 'B', slot_start: '2026-11-23T10:00:00+08:00', slot_end: '2026-11-23T10:30:00+08:00' }] }),
    )
    const { wrapper } = await mountView(QueueTicketView, backend)
    await wrapper.get('[data-testid="checkin-open"]').trigger('click')
    await wrapper.get('[data-testid="identify"]').trigger('click')
    await flushPromises()
    const list = wrapper.get('[data-testid="appointments"]')
    expect(list.text()).toContain('社保医保')
    expect(list.text()).toContain('B-77')
    await wrapper.get('[data-testid="appointment-B-77"]').trigger('click')
    await flushPromises()
    expect(backend.checkIn).toHaveBeenCalledWith({ identity: 'tok-1', bookingNumber: 'B-77' })
    expect(wrapper.find('[data-testid="ticket-result"]').exists()).toBe(true)
  })
})
