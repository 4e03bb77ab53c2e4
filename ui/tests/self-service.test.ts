import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import SelfServiceView from '../src/views/SelfServiceView.vue'
import { FakeBackend, makeStatus, mountView } from './helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
})

describe('self-service home', () => {
  it('shows the five categories and the devices', async () => {
    const { wrapper } = await mountView(SelfServiceView, new FakeBackend(makeStatus({ mode: 'self-service' })))
    for (const id of ['personal', 'legal-entity', 'local', 'departments', 'query-print']) {
      expect(wrapper.find(`[data-testid="tile-${id}"]`).exists()).toBe(true)
    }
    expect(wrapper.get('[data-testid="tile-personal"]').text()).toBe('个人服务')
    expect(wrapper.get('[data-testid="device-ticket_printer"]').text()).toContain('正常')
    expect(wrapper.get('[data-testid="device-id_reader"]').text()).toContain('离线')
  })

  it('wipes the typed search text after idle_timeout_secs without input', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'self-service', idle_timeout_secs: 30 }))
    const { wrapper, state } = await mountView(SelfServiceView, backend, { attach: true })
    const input = wrapper.get<HTMLInputElement>('[data-testid="search-input"]')
    await input.setValue('社保')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.find('[data-testid="search-result"]').exists()).toBe(true)

    // Input keeps the screen alive...
    await vi.advanceTimersByTimeAsync(20_000)
    input.element.dispatchEvent(new KeyboardEvent('keydown', { key: 'a', bubbles: true }))
    await vi.advanceTimersByTimeAsync(20_000)
    expect(input.element.value).toBe('社保')

    // ...and 30 s of nothing resets it.
    await vi.advanceTimersByTimeAsync(10_000)
    expect(input.element.value).toBe('')
    expect(wrapper.find('[data-testid="search-result"]').exists()).toBe(false)
    expect(state.sessionResets.value).toBe(1)
    wrapper.unmount()
  })
})
