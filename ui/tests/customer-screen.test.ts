import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BackendError } from '../src/backend/errors'
import CustomerScreenView from '../src/views/CustomerScreenView.vue'
import { makeConfirmScreen, makeNameplate } from './applicationFixtures'
import { FakeBackend, makeStatus, mountView } from './helpers'

// The window's customer-facing screen: what the terminal says it shows, and answers to that offer only.

afterEach(() => {
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

type W = Awaited<ReturnType<typeof mountView>>['wrapper']

async function click(wrapper: W, testid: string): Promise<void> {
  await wrapper.get(`[data-testid="${testid}"]`).trigger('click')
  await flushPromises()
}

function screenBackend(): FakeBackend {
  return new FakeBackend(makeStatus({ mode: 'window', customer_screen: true }))
}

describe('customer screen', () => {
  it('shows the nameplate with the clerk, then a closed window, and never a case between applicants', async () => {
    const backend = screenBackend()
    const { wrapper } = await mountView(CustomerScreenView, backend)
    expect(wrapper.get('[data-testid="customer-screen"]').attributes('data-screen')).toBe('nameplate')
    expect(wrapper.get('[data-testid="cs-window"]').text()).toBe('5号窗口')
    expect(wrapper.get('[data-testid="cs-staff"]').text()).toBe('王芳')

    backend.customerScreenValue = makeNameplate({ staff_id: null, staff_name: null })
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="cs-staff"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="cs-closed"]').text()).toBe('本窗口暂停服务')
  })

  it('shows the case to check, sends a dispute for the offer, and signs it', async () => {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null)
    vi.spyOn(HTMLCanvasElement.prototype, 'toDataURL').mockReturnValue('data:image/png;base64,iVBORw0K')
    const backend = screenBackend()
    backend.customerScreenValue = makeConfirmScreen()
    const { wrapper } = await mountView(CustomerScreenView, backend)
    expect(wrapper.get('[data-testid="cs-case-number"]').text()).toContain('LS20261124000001')
    const fields = wrapper.get('[data-testid="cs-fields"]').text()
    expect(fields).toContain('张三丰')
    expect(fields).toContain('4601**********1234')
    expect(fields).toContain('窗口领取')

    await click(wrapper, 'cs-dispute')
    expect(backend.customerScreenDispute).toHaveBeenCalledWith('offer-1')

    await click(wrapper, 'cs-sign')
    expect((wrapper.get('[data-testid="cs-sign-submit"]').element as HTMLButtonElement).disabled).toBe(true)
    const pad = wrapper.get('[data-testid="sign-pad"]')
    const Pointer = globalThis.PointerEvent ?? MouseEvent
    for (const [type, x, y] of [['pointerdown', 10, 10], ['pointermove', 60, 40], ['pointerup', 60, 40]] as const) {
      pad.element.dispatchEvent(new Pointer(type, { clientX: x, clientY: y, bubbles: true }))
    }
    await flushPromises()
    backend.customerScreenSign.mockResolvedValueOnce({ screen: 'answered', offer: 'offer-1', answer: 'signed', case_id: 'case-1' })
    await click(wrapper, 'cs-sign-submit')
    expect(backend.customerScreenSign).toHaveBeenCalledWith('offer-1', 'iVBORw0K')
    const answered = wrapper.get('[data-testid="cs-answered"]')
    expect(answered.attributes('data-answer')).toBe('signed')
    expect(answered.text()).toContain('签名已提交')
  })

  it('shows what is there now when the clerk moved on before the answer arrived', async () => {
    const backend = screenBackend()
    backend.customerScreenValue = makeConfirmScreen()
    const { wrapper } = await mountView(CustomerScreenView, backend)
    backend.customerScreenDispute.mockRejectedValueOnce(new BackendError('customer_screen.stale_offer', 'moved on'))
    backend.customerScreenValue = makeNameplate()
    await click(wrapper, 'cs-dispute')
    expect(wrapper.find('[data-testid="cs-action-error"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="customer-screen"]').attributes('data-screen')).toBe('nameplate')
  })

  it('rates the offered case with nothing preselected, a reason for a bad grade and no skip', async () => {
    const backend = screenBackend()
    backend.customerScreenValue = {
      screen: 'rate',
      offer: 'offer-9',
      case_number: 'LS20261124000001',
      item_name: '居民身份证换领',
      window: 5,
    }
    const { wrapper } = await mountView(CustomerScreenView, backend)
    expect(wrapper.get('[data-testid="cs-case-number"]').text()).toContain('LS20261124000001')
    expect(wrapper.findAll('[aria-checked="true"]')).toHaveLength(0)
    expect(wrapper.find('[data-testid="rate-skip"]').exists()).toBe(false)
    await click(wrapper, 'grade-dissatisfied')
    expect((wrapper.get('[data-testid="rate-submit"]').element as HTMLButtonElement).disabled).toBe(true)
    await click(wrapper, 'reason-long_wait')
    await click(wrapper, 'rate-submit')
    expect(backend.customerScreenRate).toHaveBeenCalledWith('offer-9', {
      grade: 'dissatisfied',
      reasons: ['long_wait'],
      comment: '',
      anonymous: false,
    })
    expect(backend.rateCase).not.toHaveBeenCalled()
  })
})
