// The locked kiosk in the page: key guard, admin exit gesture + PIN pad, idle reset, on-screen pinyin keyboard.

import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '../src/App.vue'
import { BackendError } from '../src/backend/errors'
import { BACKEND_KEY } from '../src/backend/inject'
import { APP_STATE_KEY, createAppState } from '../src/composables/appState'
import { createAppI18n } from '../src/i18n'
import { createTapCounter, PAD_TIMEOUT_MS } from '../src/kiosk/gesture'
import { installKeyGuard, isBlockedKey, type KeyLike } from '../src/kiosk/keyGuard'
import { DEFAULT_DICT, lookup } from '../src/kiosk/pinyin'
import { createAppRouter } from '../src/router'
import { FakeBackend, makeStatus } from './helpers'

async function mountApp(backend: FakeBackend) {
  const state = createAppState(backend)
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
  await router.push('/')
  await flushPromises()
  return { wrapper, router, state }
}

function kioskBackend(overrides: Parameters<typeof makeStatus>[0] = {}): FakeBackend {
  return new FakeBackend(makeStatus({ mode: 'self-service', idle_timeout_secs: 10, ...overrides }))
}

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
})

afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
  window.location.hash = ''
})

describe('key guard', () => {
  it('blocks browser shortcuts and lets typing through', () => {
    for (const letter of ['w', 'q', 'r', 'n', 't', 'l', 'p', 's', 'o', 'u', 'f', 'W', 'R']) {
      expect(isBlockedKey(key(letter, { ctrlKey: true })), `ctrl+${letter}`).toBe(true)
      expect(isBlockedKey(key(letter, { metaKey: true })), `meta+${letter}`).toBe(true)
    }
    for (const zoom of ['+', '=', '-', '0']) expect(isBlockedKey(key(zoom, { ctrlKey: true })), zoom).toBe(true)
    expect(isBlockedKey(key('I', { ctrlKey: true, shiftKey: true }))).toBe(true)
    for (let n = 1; n <= 12; n++) expect(isBlockedKey(key(`F${n}`)), `F${n}`).toBe(true)
    expect(isBlockedKey(key('F4', { altKey: true }))).toBe(true)
    expect(isBlockedKey(key('ArrowLeft', { altKey: true }))).toBe(true)
    expect(isBlockedKey(key('ArrowRight', { altKey: true }))).toBe(true)
    expect(isBlockedKey(key('Home', { altKey: true }))).toBe(true)
    expect(isBlockedKey(key('Escape'))).toBe(true)
    expect(isBlockedKey(key('Meta'))).toBe(true)
    expect(isBlockedKey(key('Backspace', { target: document.body }))).toBe(true)

    const input = document.createElement('input')
    input.type = 'search'
    expect(isBlockedKey(key('Backspace', { target: input }))).toBe(false)
    for (const k of ['a', '办', '1', 'Enter', 'Tab', 'ArrowLeft', ' ']) expect(isBlockedKey(key(k, { target: input })), k).toBe(false)
    // Editing shortcuts inside a field stay.
    for (const k of ['a', 'c', 'v', 'x', 'z']) expect(isBlockedKey(key(k, { ctrlKey: true, target: input })), k).toBe(false)
  })

  it('cancels blocked keys, the context menu, link drags and ctrl+wheel zoom on the page', () => {
    const remove = installKeyGuard(window)
    const seen: string[] = []
    const pageHandler = (e: KeyboardEvent) => seen.push(e.key)
    window.addEventListener('keydown', pageHandler)
    const fire = (init: KeyboardEventInit) => {
      const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init })
      document.body.dispatchEvent(e)
      return e.defaultPrevented
    }
    expect(fire({ key: 'w', ctrlKey: true })).toBe(true)
    expect(fire({ key: 'F5' })).toBe(true)
    expect(fire({ key: 'a' })).toBe(false)
    // Escape is kept from the browser but still reaches the page's dialogs.
    expect(fire({ key: 'Escape' })).toBe(true)
    expect(seen).toEqual(['a', 'Escape'])

    const menu = new MouseEvent('contextmenu', { bubbles: true, cancelable: true })
    document.body.dispatchEvent(menu)
    expect(menu.defaultPrevented).toBe(true)

    const link = document.createElement('a')
    link.href = 'https://example.org/'
    document.body.append(link)
    const drag = new Event('dragstart', { bubbles: true, cancelable: true })
    link.dispatchEvent(drag)
    expect(drag.defaultPrevented).toBe(true)

    const zoom = new WheelEvent('wheel', { bubbles: true, cancelable: true, ctrlKey: true, deltaY: -100 })
    document.body.dispatchEvent(zoom)
    expect(zoom.defaultPrevented).toBe(true)
    const scroll = new WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: 100 })
    document.body.dispatchEvent(scroll)
    expect(scroll.defaultPrevented).toBe(false)

    remove()
    window.removeEventListener('keydown', pageHandler)
    expect(fire({ key: 'w', ctrlKey: true })).toBe(false)
  })

  it('is on for locked kiosk modes only', async () => {
    const blockedIn = async (mode: 'self-service' | 'call-screen' | 'window') => {
      const { wrapper } = await mountApp(new FakeBackend(makeStatus({ mode })))
      const e = new KeyboardEvent('keydown', { key: 'r', ctrlKey: true, bubbles: true, cancelable: true })
      document.body.dispatchEvent(e)
      const gesture = wrapper.find('[data-testid="admin-gesture-zone"]').exists()
      wrapper.unmount()
      window.location.hash = ''
      return [e.defaultPrevented, gesture]
    }
    expect(await blockedIn('self-service')).toEqual([true, true])
    expect(await blockedIn('call-screen')).toEqual([true, true])
    expect(await blockedIn('window')).toEqual([false, false])
  })
})

describe('admin exit gesture and PIN pad', () => {
  it('five taps within three seconds complete the gesture', () => {
    let now = 0
    const counter = createTapCounter(5, 3000, () => now)
    for (let i = 0; i < 4; i++) {
      expect(counter.tap()).toBe(false)
      now += 500
    }
    expect(counter.tap()).toBe(true)
    // Slow taps never do.
    for (let i = 0; i < 10; i++) {
      now += 800
      expect(counter.tap()).toBe(false)
    }
  })

  it('opens the PIN pad, shows the translated error for a wrong PIN and sends the right one', async () => {
    const backend = kioskBackend()
    backend.unlockKiosk.mockRejectedValueOnce(new BackendError('lockdown.bad_pin', 'wrong admin PIN'))
    const { wrapper } = await mountApp(backend)
    const zone = wrapper.get('[data-testid="admin-gesture-zone"]')
    for (let i = 0; i < 4; i++) await zone.trigger('click')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(false)
    await zone.trigger('click')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(true)

    const typePin = async (pin: string) => {
      for (const d of pin) await wrapper.get(`[data-testid="pin-digit-${d}"]`).trigger('click')
      await wrapper.get('[data-testid="pin-ok"]').trigger('click')
      await flushPromises()
    }
    await typePin('111111')
    expect(backend.unlockKiosk).toHaveBeenLastCalledWith('111111')
    expect(wrapper.get('[data-testid="pin-error"]').text()).toBe('管理员 PIN 不正确')
    expect(wrapper.get('[data-testid="pin-dots"]').text()).not.toContain('●')

    await typePin('246810')
    expect(backend.unlockKiosk).toHaveBeenLastCalledWith('246810')
    expect(wrapper.find('[data-testid="pin-error"]').exists()).toBe(false)

    await wrapper.get('[data-testid="pin-cancel"]').trigger('click')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('the PIN pad closes itself after 30 s without a press', async () => {
    vi.useFakeTimers()
    const { wrapper } = await mountApp(kioskBackend({ idle_timeout_secs: 600 }))
    const zone = wrapper.get('[data-testid="admin-gesture-zone"]')
    for (let i = 0; i < 5; i++) await zone.trigger('click')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(true)
    await vi.advanceTimersByTimeAsync(PAD_TIMEOUT_MS - 5000)
    await wrapper.get('[data-testid="pin-digit-7"]').trigger('click')
    await vi.advanceTimersByTimeAsync(PAD_TIMEOUT_MS - 1000)
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('idle reset on a kiosk', () => {
  it('wipes typed text, closes the PIN pad, goes home and tells the backend', async () => {
    vi.useFakeTimers()
    const backend = kioskBackend({ idle_timeout_secs: 10 })
    const { wrapper, router } = await mountApp(backend)
    expect(router.currentRoute.value.path).toBe('/self-service')
    const input = wrapper.get<HTMLInputElement>('[data-testid="search-input"]')
    await input.setValue('社保卡')
    const zone = wrapper.get('[data-testid="admin-gesture-zone"]')
    for (let i = 0; i < 5; i++) await zone.trigger('click')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(true)

    await vi.advanceTimersByTimeAsync(9_000)
    expect(input.element.value).toBe('社保卡')
    await vi.advanceTimersByTimeAsync(1_000)
    await flushPromises()
    expect(input.element.value).toBe('')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(false)
    expect(backend.resetSession).toHaveBeenCalled()
    expect(router.currentRoute.value.path).toBe('/self-service')

    // From another screen, the reset brings the mode's home back.
    await router.push('/sync')
    await flushPromises()
    await vi.advanceTimersByTimeAsync(10_000)
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/self-service')
    wrapper.unmount()
  })

  it('a backend that cannot forget cards does not stop the screen reset', async () => {
    vi.useFakeTimers()
    const backend = kioskBackend({ idle_timeout_secs: 10 })
    backend.resetSession.mockRejectedValue(new BackendError('client.http_error', 'not found'))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { wrapper } = await mountApp(backend)
    const input = wrapper.get<HTMLInputElement>('[data-testid="search-input"]')
    await input.setValue('abc')
    await vi.advanceTimersByTimeAsync(10_000)
    await flushPromises()
    expect(input.element.value).toBe('')
    expect(warn).toHaveBeenCalled()
    wrapper.unmount()
  })
})

describe('pinyin lookup', () => {
  it('the table is built from the npm dictionary at build time', () => {
    expect(Object.keys(DEFAULT_DICT).length).toBeGreaterThan(380)
    expect(DEFAULT_DICT.ban).toContain('办')
    expect(DEFAULT_DICT.lv).toContain('绿')
    // Common characters come before rare ones.
    const shi = Array.from(DEFAULT_DICT.shi ?? '')
    expect(shi.indexOf('是')).toBeLessThan(shi.indexOf('筮'))
  })

  it('takes the longest syllable at the front, or offers every syllable the letters begin', () => {
    expect(lookup('ban').consumed).toBe('ban')
    expect(lookup('ban').chars).toContain('办')
    expect(lookup('banli').consumed).toBe('ban')
    expect(lookup('zh').consumed).toBe('zh')
    expect(lookup('zh').chars).toContain('中')
    expect(lookup('').chars).toEqual([])
  })
})

describe('on-screen keyboard', () => {
  async function focusSearch() {
    const backend = kioskBackend({ idle_timeout_secs: 600 })
    const { wrapper } = await mountApp(backend)
    const input = wrapper.get<HTMLInputElement>('[data-testid="search-input"]')
    expect(wrapper.find('[data-testid="osk"]').exists()).toBe(false)
    input.element.focus()
    await flushPromises()
    return { wrapper, input }
  }

  it('opens on a text field; typing "ban" offers 办 and choosing it types it', async () => {
    const { wrapper, input } = await focusSearch()
    expect(wrapper.find('[data-testid="osk"]').exists()).toBe(true)
    for (const k of 'ban') await wrapper.get(`[data-testid="osk-key-${k}"]`).trigger('click')
    expect(wrapper.get('[data-testid="osk-pinyin"]').text()).toBe('ban')
    expect(input.element.value).toBe('')

    // 办 is offered on the first page or a later one.
    let index = -1
    for (let pageTurns = 0; pageTurns < 10 && index < 0; pageTurns++) {
      const candidates = wrapper.findAll('[data-testid^="osk-candidate-"]').map((c) => c.text())
      index = candidates.indexOf('办')
      if (index < 0) await wrapper.get('[data-testid="osk-more"]').trigger('click')
    }
    expect(index).toBeGreaterThanOrEqual(0)
    await wrapper.get(`[data-testid="osk-candidate-${index}"]`).trigger('click')
    expect(input.element.value).toBe('办')
    expect(wrapper.get('[data-testid="osk-pinyin"]').text()).toBe('')

    // Space takes the first candidate; backspace deletes pinyin first, then text.
    for (const k of 'li') await wrapper.get(`[data-testid="osk-key-${k}"]`).trigger('click')
    const first = wrapper.get('[data-testid="osk-candidate-0"]').text()
    await wrapper.get('[data-testid="osk-space"]').trigger('click')
    expect(input.element.value).toBe(`办${first}`)
    await wrapper.get('[data-testid="osk-backspace"]').trigger('click')
    expect(input.element.value).toBe('办')
    wrapper.unmount()
  })

  it('英 types letters and digits as they are, and Enter submits the search', async () => {
    const { wrapper, input } = await focusSearch()
    await wrapper.get('[data-testid="osk-lang"]').trigger('click')
    for (const k of 'id2') await wrapper.get(`[data-testid="osk-key-${k}"]`).trigger('click')
    expect(input.element.value).toBe('id2')
    await wrapper.get('[data-testid="osk-enter"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="search-result"]').text()).toContain('id2')
    expect(wrapper.find('[data-testid="osk"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('is not offered on a desk terminal', async () => {
    const { wrapper } = await mountApp(new FakeBackend(makeStatus({ mode: 'window' })))
    expect(wrapper.find('[data-testid="osk"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('keyboard and PIN pad together', () => {
  it('the on-screen keyboard steps aside while the PIN pad is open', async () => {
    const { wrapper } = await mountApp(kioskBackend({ idle_timeout_secs: 600 }))
    wrapper.get<HTMLInputElement>('[data-testid="search-input"]').element.focus()
    await flushPromises()
    expect(wrapper.find('[data-testid="osk"]').exists()).toBe(true)
    const zone = wrapper.get('[data-testid="admin-gesture-zone"]')
    for (let i = 0; i < 5; i++) await zone.trigger('click')
    expect(wrapper.find('[data-testid="admin-pin-pad"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="osk"]').exists()).toBe(false)
    wrapper.unmount()
  })
})
