import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BackendError } from '../src/backend/errors'
import { HttpBackend } from '../src/backend/http'
import { BACKEND_KEY } from '../src/backend/inject'
import { TauriBackend, type InvokeFn } from '../src/backend/tauri'
import { createAppI18n } from '../src/i18n'
import SelfServiceView from '../src/views/SelfServiceView.vue'
import RatingStep from '../src/views/selfservice/RatingStep.vue'
import { pruneAnswers, visibleFields, visibleMaterials, visibleQuestions } from '../src/views/selfservice/flow'
import { makeCase, makeCatalogue, makeItem, makeProgress } from './applicationFixtures'
import { FakeBackend, makeStatus, mountView } from './helpers'
import type { ProgressView } from '../src/backend/types'


function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

function selfService(): FakeBackend {
  return new FakeBackend(makeStatus({ mode: 'self-service', idle_timeout_secs: 120 }))
}

type W = Awaited<ReturnType<typeof mountView>>['wrapper']

async function click(wrapper: W, testid: string): Promise<void> {
  await wrapper.get(`[data-testid="${testid}"]`).trigger('click')
  await flushPromises()
}

/** Home → 居民身份证换领 → 马上申办 → 读取身份证: the flow on its first question. */
async function startFlow(backend: FakeBackend) {
  const mounted = await mountView(SelfServiceView, backend, { attach: true })
  await click(mounted.wrapper, 'item-ID-RENEW')
  await click(mounted.wrapper, 'apply')
  await click(mounted.wrapper, 'read-card')
  return mounted
}

describe('situation tree', () => {
  const item = makeItem()

  it('shows follow-up questions only when all their conditions hold', () => {
    expect(visibleQuestions(item, {}).map((q) => q.id)).toEqual(['reason', 'urgent'])
    expect(visibleQuestions(item, { reason: 'damaged' }).map((q) => q.id)).toEqual(['reason', 'damage_kind', 'urgent'])
    expect(visibleQuestions(item, { reason: 'expired' }).map((q) => q.id)).toEqual(['reason', 'urgent'])
  })

  it('drops answers to questions that no longer apply', () => {
    expect(pruneAnswers(item, { reason: 'expired', damage_kind: 'full', urgent: 'no' })).toEqual({
      reason: 'expired',
      urgent: 'no',
    })
  })

  it('generates materials and form fields from the answers', () => {
    expect(visibleMaterials(item, { reason: 'expired' }).map((m) => m.id)).toEqual(['old_card', 'hukou'])
    expect(visibleMaterials(item, { reason: 'damaged' }).map((m) => m.id)).toEqual(['old_card', 'damage_photo', 'hukou'])
    const fields = makeCatalogue().fields
    expect(visibleFields(item, fields, { reason: 'damaged' }).map((f) => [f.def.code, f.required])).toEqual([
      ['name', true],
      ['id_number', true],
      ['phone', true],
      ['damage_note', false],
    ])
  })
})

describe('self-service home', () => {
  it('searches the backend once typing pauses (debounced), latest query only', async () => {
    const backend = selfService()
    backend.searchCatalogue.mockImplementation(async (q: string) => (q === 'jmsf' ? [makeItem()] : []))
    const { wrapper } = await mountView(SelfServiceView, backend)
    const input = wrapper.get<HTMLInputElement>('[data-testid="search-input"]')
    await input.setValue('jm')
    await vi.advanceTimersByTimeAsync(200)
    await input.setValue('jmsf')
    await vi.advanceTimersByTimeAsync(200)
    expect(backend.searchCatalogue).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(150)
    await flushPromises()
    expect(backend.searchCatalogue).toHaveBeenCalledTimes(1)
    expect(backend.searchCatalogue).toHaveBeenCalledWith('jmsf')
    const result = wrapper.get('[data-testid="search-result"]')
    expect(result.find('[data-testid="item-ID-RENEW"]').text()).toContain('居民身份证换领')
  })

  it('lists common items and the items of a category tab', async () => {
    const { wrapper } = await mountView(SelfServiceView, selfService())
    expect(wrapper.get('[data-testid="common-items"]').text()).toContain('居民身份证换领')
    await click(wrapper, 'tile-legal-entity')
    const tab = wrapper.get('[data-testid="tab-items-legal-entity"]')
    expect(tab.text()).toContain('营业执照变更')
    expect(tab.text()).toContain('需到窗口办理')
  })

  it('opens the item guide with 办事须知 / 办事指南 and 马上申办', async () => {
    const { wrapper } = await mountView(SelfServiceView, selfService())
    await click(wrapper, 'item-ID-RENEW')
    expect(wrapper.get('[data-testid="item-name"]').text()).toBe('居民身份证换领')
    expect(wrapper.get('[data-testid="guide-fees"]').text()).toBe('20 元')
    await click(wrapper, 'tab-guide')
    expect(wrapper.get('[data-testid="guide-process"]').findAll('li')).toHaveLength(4)
    expect(wrapper.find('[data-testid="apply"]').exists()).toBe(true)
  })
})

describe('application flow', () => {
  it('shows the card prompt, translates a reader error and retries', async () => {
    const backend = selfService()
    backend.startCase.mockRejectedValueOnce(new BackendError('application.item_withdrawn', 'withdrawn'))
    const { wrapper } = await mountView(SelfServiceView, backend)
    await click(wrapper, 'item-ID-RENEW')
    await click(wrapper, 'apply')
    expect(wrapper.get('[data-testid="step-login"]').text()).toContain('请将身份证放在读卡区')
    await click(wrapper, 'read-card')
    expect(wrapper.get('[data-testid="flow-error"]').text()).toBe('该事项已停止办理')
    await click(wrapper, 'retry')
    expect(backend.startCase).toHaveBeenCalledTimes(2)
    expect(backend.startCase).toHaveBeenLastCalledWith('ID-RENEW')
    expect(wrapper.find('[data-testid="question-reason"]').exists()).toBe(true)
  })

  it('asks one question at a time and shows follow-ups per their conditions', async () => {
    const backend = selfService()
    const { wrapper } = await startFlow(backend)
    expect(wrapper.get('[data-testid="question-reason"]').text()).toBe('换领原因？')
    await click(wrapper, 'option-reason-damaged')
    expect(wrapper.find('[data-testid="question-damage_kind"]').exists()).toBe(true)
    await click(wrapper, 'back')
    expect(wrapper.find('[data-testid="question-reason"]').exists()).toBe(true)
    await click(wrapper, 'option-reason-expired')
    // The follow-up no longer applies: straight to the next general question.
    expect(wrapper.find('[data-testid="question-urgent"]').exists()).toBe(true)
    await click(wrapper, 'option-urgent-no')
    expect(wrapper.find('[data-testid="step-materials"]').exists()).toBe(true)
    expect(backend.saveDraft).toHaveBeenCalledWith('case-1', expect.objectContaining({ answers: { reason: 'expired', urgent: 'no' } }))
  })

  it('lists the generated materials with medium, copies, requirement and window-only marks', async () => {
    const backend = selfService()
    const { wrapper } = await startFlow(backend)
    await click(wrapper, 'option-reason-damaged')
    await click(wrapper, 'option-damage_kind-full')
    await click(wrapper, 'option-urgent-yes')
    const list = wrapper.get('[data-testid="material-list"]')
    expect(list.findAll('li').map((li) => li.attributes('data-testid'))).toEqual([
      'material-old_card',
      'material-damage_photo',
      'material-hukou',
    ])
    const photo = list.get('[data-testid="material-damage_photo"]')
    expect(photo.text()).toContain('复印件')
    expect(photo.text()).toContain('2 份')
    expect(photo.text()).toContain('可选')
    expect(photo.find('[data-testid="material-window-only"]').text()).toBe('需到窗口提交')
    expect(list.get('[data-testid="material-old_card"]').text()).toContain('必交')
    expect(list.get('[data-testid="material-old_card"]').find('[data-testid="material-window-only"]').exists()).toBe(false)
    expect(list.get('[data-testid="material-hukou"]').text()).toContain('任选其一')
  })

  it('fills the form (masked read-only ID number, required marks), captures, signs, submits and shows the hand-over', async () => {
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null)
    vi.spyOn(HTMLCanvasElement.prototype, 'toDataURL').mockReturnValue('data:image/png;base64,iVBORw0K')
    const backend = selfService()
    backend.captureMaterialPage.mockResolvedValue(
      makeCase({ materials: [{ ...makeCase().materials[0]!, pages: 1 }] }),
    )
    backend.submitCase.mockResolvedValue(
      makeCase({ status: 'handed_over', handover: '请到 3 号窗口提交原居民身份证原件' }),
    )
    const { wrapper } = await startFlow(backend)
    await click(wrapper, 'option-reason-expired')
    await click(wrapper, 'option-urgent-no')
    await click(wrapper, 'next')

    const id = wrapper.get<HTMLInputElement>('[data-testid="field-id_number"]')
    expect(id.element.readOnly).toBe(true)
    expect(id.element.value).toBe('4601**********1234')
    expect(wrapper.get('[data-testid="form-field-phone"]').find('[data-testid="required-mark"]').exists()).toBe(true)
    await click(wrapper, 'next')
    expect(wrapper.get('[data-testid="form-missing"]').text()).toContain('联系电话')
    await wrapper.get('[data-testid="field-phone"]').setValue('13800000000')
    await click(wrapper, 'next')
    expect(backend.saveDraft).toHaveBeenLastCalledWith(
      'case-1',
      expect.objectContaining({ form: { phone: '13800000000' }, collection: { method: 'window' } }),
    )

    expect(wrapper.find('[data-testid="step-capture"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="pages-old_card"]').text()).toBe('已拍 0 页')
    await click(wrapper, 'capture-old_card')
    expect(backend.captureMaterialPage).toHaveBeenCalledWith('case-1', 'old_card')
    expect(wrapper.get('[data-testid="pages-old_card"]').text()).toBe('已拍 1 页')
    await click(wrapper, 'next')

    expect(wrapper.get<HTMLButtonElement>('[data-testid="sign-confirm"]').element.disabled).toBe(true)
    const pad = wrapper.get('[data-testid="sign-pad"]')
    const Pointer = globalThis.PointerEvent ?? MouseEvent
    for (const [type, x, y] of [['pointerdown', 10, 10], ['pointermove', 50, 30], ['pointerup', 50, 30]] as const) {
      pad.element.dispatchEvent(new Pointer(type, { clientX: x, clientY: y, bubbles: true }))
    }
    await flushPromises()
    expect(pad.attributes('data-signed')).toBe('true')
    await click(wrapper, 'sign-confirm')
    expect(backend.signCase).toHaveBeenCalledWith('case-1', 'iVBORw0K')

    await click(wrapper, 'submit-case')
    expect(backend.submitCase).toHaveBeenCalledWith('case-1')
    expect(wrapper.get('[data-testid="handover"]').text()).toContain('请到窗口提交')
    expect(wrapper.get('[data-testid="handover-text"]').text()).toBe('请到 3 号窗口提交原居民身份证原件')
    await click(wrapper, 'next')
    expect(wrapper.find('[data-testid="step-rating"]').exists()).toBe(true)
    await click(wrapper, 'rate-skip')
    expect(wrapper.get('[data-testid="case-number"]').text()).toBe('LS20261124000001')
    expect(wrapper.find('[data-testid="provisional-note"]').exists()).toBe(true)
    await click(wrapper, 'home')
    expect(wrapper.find('[data-testid="apply-flow"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="common-items"]').exists()).toBe(true)
  })

  it('forgets the case on the idle reset and returns home', async () => {
    const backend = selfService()
    const { wrapper, state } = await startFlow(backend)
    expect(wrapper.find('[data-testid="apply-flow"]').exists()).toBe(true)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(state.sessionResets.value).toBe(1)
    expect(wrapper.find('[data-testid="apply-flow"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="search-input"]').exists()).toBe(true)
    // Back in: a new case starts from the card again.
    await click(wrapper, 'item-ID-RENEW')
    await click(wrapper, 'apply')
    expect(wrapper.find('[data-testid="step-login"]').exists()).toBe(true)
  })
})

describe('rating', () => {
  async function mountRating(backend: FakeBackend) {
    const wrapper = mount(RatingStep, {
      props: { caseId: 'case-1' },
      global: { plugins: [createAppI18n('zh-CN')], provide: { [BACKEND_KEY as symbol]: backend } },
    })
    await flushPromises()
    return wrapper
  }
  const submitDisabled = (w: Awaited<ReturnType<typeof mountRating>>) =>
    w.get<HTMLButtonElement>('[data-testid="rate-submit"]').element.disabled

  it('preselects nothing and requires a grade, and a reason for dissatisfied grades', async () => {
    const backend = selfService()
    const wrapper = await mountRating(backend)
    for (const g of ['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied']) {
      expect(wrapper.get(`[data-testid="grade-${g}"]`).attributes('aria-checked')).toBe('false')
    }
    expect(submitDisabled(wrapper)).toBe(true)

    await wrapper.get('[data-testid="grade-satisfied"]').trigger('click')
    expect(submitDisabled(wrapper)).toBe(false)
    expect(wrapper.find('[data-testid="reason-fast"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="reason-long_wait"]').exists()).toBe(false)

    await wrapper.get('[data-testid="grade-very_dissatisfied"]').trigger('click')
    expect(submitDisabled(wrapper)).toBe(true)
    expect(wrapper.find('[data-testid="reason-required"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="reason-fast"]').exists()).toBe(false)
    await wrapper.get('[data-testid="reason-long_wait"]').trigger('click')
    expect(submitDisabled(wrapper)).toBe(false)
    await wrapper.get('[data-testid="rate-anonymous"]').setValue(true)
    await wrapper.get('[data-testid="rate-comment"]').setValue(' 太慢 ')
    await wrapper.get('[data-testid="rate-submit"]').trigger('click')
    await flushPromises()
    expect(backend.rateCase).toHaveBeenCalledWith(
      'case-1',
      { grade: 'very_dissatisfied', reasons: ['long_wait'], comment: '太慢', anonymous: true },
      'kiosk',
    )
    expect(wrapper.emitted('done')).toHaveLength(1)
  })

  it('shows the already-rated answer and lets the resident go on', async () => {
    const backend = selfService()
    backend.rateCase.mockRejectedValue(new BackendError('rating.already_rated', 'already rated'))
    const wrapper = await mountRating(backend)
    await wrapper.get('[data-testid="grade-basic"]').trigger('click')
    await wrapper.get('[data-testid="rate-submit"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="rate-already"]').text()).toBe('您已经评价过这个办件，感谢您的参与')
    expect(wrapper.emitted('done')).toBeUndefined()
    await wrapper.get('[data-testid="rate-skip"]').trigger('click')
    expect(wrapper.emitted('done')).toHaveLength(1)
  })
})

describe('face verification (人证核验)', () => {
  it('tells the resident to face the camera, and says why no case started when the face does not match', async () => {
    const backend = new FakeBackend(makeStatus({ mode: 'self-service', idle_timeout_secs: 120, face_verification: true }))
    backend.startCase.mockRejectedValueOnce(new BackendError('face.mismatch', 'no match'))
    const { wrapper } = await mountView(SelfServiceView, backend, { attach: true })
    await click(wrapper, 'item-ID-RENEW')
    await click(wrapper, 'apply')
    expect(wrapper.get('[data-testid="face-hint"]').text()).toContain('正视上方的人脸摄像头')
    await click(wrapper, 'read-card')
    expect(wrapper.text()).toContain('人脸与身份证照片不一致')
    expect(wrapper.find('[data-testid="step-questions"]').exists()).toBe(false)
  })

  it('gives no face hint on a kiosk that does not compare faces', async () => {
    const { wrapper } = await mountView(SelfServiceView, selfService(), { attach: true })
    await click(wrapper, 'item-ID-RENEW')
    await click(wrapper, 'apply')
    expect(wrapper.find('[data-testid="face-hint"]').exists()).toBe(false)
  })
})

describe('progress lookup', () => {
  it('shows status, history, missing materials and deadline for a number', async () => {
    const backend = selfService()
    const { wrapper } = await mountView(SelfServiceView, backend)
    await click(wrapper, 'progress-open')
    await wrapper.get('[data-testid="progress-input"]').setValue(' LS20261124000001 ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(backend.caseProgress).toHaveBeenCalledWith('LS20261124000001')
    expect(wrapper.get('[data-testid="progress-status"]').text()).toBe('补齐补正中')
    const history = wrapper.get('[data-testid="progress-history"]').findAll('li')
    expect(history).toHaveLength(2)
    expect(history[1]!.text()).toContain('照片不清晰')
    expect(wrapper.get('[data-testid="progress-missing"]').text()).toContain('原居民身份证')
    expect(wrapper.get('[data-testid="progress-deadline"]').text()).toContain('2026-12-01')
  })

  it('looks a receipt up by its QR under the kiosk’s scanner, and says so when nothing was scanned', async () => {
    const backend = selfService()
    backend.statusValue = {
      ...backend.statusValue,
      devices: [{ class: 'qr_scanner', driver: 'qr-serial', target: '/dev/ttyUSB3', status: 'ok', detail: null }],
    }
    let answer: (v: ProgressView) => void = () => undefined
    backend.scanCaseProgress.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)))
    const { wrapper } = await mountView(SelfServiceView, backend)
    await click(wrapper, 'progress-open')
    await click(wrapper, 'progress-scan')
    expect(wrapper.get('[data-testid="progress-scanning"]').text()).toContain('二维码对准扫码器')
    answer(makeProgress())
    await flushPromises()
    expect(wrapper.find('[data-testid="progress-scanning"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="progress-status"]').text()).toBe('补齐补正中')
    expect(backend.caseProgress).not.toHaveBeenCalled()

    backend.scanCaseProgress.mockRejectedValueOnce(new BackendError('scanner.no_scan', 'nothing scanned'))
    await click(wrapper, 'progress-scan')
    expect(wrapper.get('[data-testid="progress-error"]').text()).toBe('没有扫到二维码，请将回执上的二维码对准扫码器后重试')
  })

  it('offers no scan on a kiosk without a scanner', async () => {
    const { wrapper } = await mountView(SelfServiceView, selfService())
    await click(wrapper, 'progress-open')
    expect(wrapper.find('[data-testid="progress-scan"]').exists()).toBe(false)
  })

  it('translates a lookup error', async () => {
    const backend = selfService()
    backend.caseProgress.mockRejectedValue(new BackendError('application.unknown_case', 'no such case'))
    const { wrapper } = await mountView(SelfServiceView, backend, { locale: 'en' })
    await click(wrapper, 'progress-open')
    await wrapper.get('[data-testid="progress-input"]').setValue('X1')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-testid="progress-error"]').text()).toBe('No application with this number was found')
  })
})

describe('transports: application calls', () => {
  it('HTTP: paths, methods and bodies', async () => {
    const kase = makeCase()
    const summary = { id: 'c', number: 'N', item_name: 'x', status: 'draft', applicant_name_masked: '张*', updated_at_ms: 0 }
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      if (url.endsWith('/api/catalogue')) return json(makeCatalogue())
      if (url.includes('/api/catalogue/search')) return json([makeItem()])
      if (url.endsWith('/rating')) return json({ case_number: 'N1', grade: 'basic', submitted_at_ms: 1 }, 201)
      if (url.includes('/api/progress/')) return json(makeProgress())
      if (url.endsWith('/lookup') || (url.endsWith('/api/cases') && init.method === 'GET')) return json([summary])
      if (url.endsWith('/api/cases')) return json(kase, 201)
      return json(kase)
    })
    const b = new HttpBackend({ baseUrl: 'http://h', fetch: fetch as unknown as typeof globalThis.fetch })
    await b.catalogue()
    await b.searchCatalogue('身份 证')
    await b.startCase('ID-RENEW')
    await b.getCase('c/1')
    await b.saveDraft('c1', { answers: { reason: 'expired' }, collection: { method: 'courier', address: '海口' } })
    await b.captureMaterialPage('c1', 'old_card')
    await b.addMaterialPages('c1', 'old_card', ['AAA'])
    await b.signCase('c1', 'PNG')
    await b.submitCase('c1')
    await b.rateCase('c1', { grade: 'basic', reasons: [], comment: '', anonymous: false })
    await b.caseProgress('LS 1')
    await b.openCases()
    await b.lookupCases('460100195001011234')
    await b.markMaterial('c1', 'old_card', { paperReceived: true, reviewed: false })
    await b.decideCase('c1', { decision: 'accept' })
    const calls = fetch.mock.calls.map(([url, init]) => [
      (init as RequestInit).method,
      url.replace('http://h/', ''),
      (init as RequestInit).body === undefined ? undefined : JSON.parse((init as RequestInit).body as string),
    ])
    expect(calls).toEqual([
      ['GET', 'api/catalogue', undefined],
      ['GET', 'api/catalogue/search?q=%E8%BA%AB%E4%BB%BD%20%E8%AF%81', undefined],
      ['POST', 'api/cases', { item_code: 'ID-RENEW' }],
      ['GET', 'api/cases/c%2F1', undefined],
      ['POST', 'api/cases/c1/draft', { answers: { reason: 'expired' }, collection: { method: 'courier', address: '海口' } }],
      ['POST', 'api/cases/c1/capture', { material_id: 'old_card' }],
      ['POST', 'api/cases/c1/pages', { material_id: 'old_card', pages: ['AAA'] }],
      ['POST', 'api/cases/c1/signature', { png: 'PNG' }],
      ['POST', 'api/cases/c1/submit', {}],
      ['POST', 'api/cases/c1/rating', { grade: 'basic', reasons: [], comment: '', anonymous: false, channel: 'kiosk' }],
      ['GET', 'api/progress/LS%201', undefined],
      ['GET', 'api/cases', undefined],
      ['POST', 'api/cases/lookup', { id_number: '460100195001011234' }],
      ['POST', 'api/cases/c1/materials/old_card', { paper_received: true, reviewed: false }],
      ['POST', 'api/cases/c1/decision', { decision: 'accept' }],
    ])
  })

  it('HTTP: publishes the catalogue as TOML text', async () => {
    const fetch = vi.fn(async () => json({ version: 4 }))
    const b = new HttpBackend({ baseUrl: 'http://h', fetch })
    await expect(b.publishCatalogue('version = 4')).resolves.toEqual({ version: 4 })
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect([url, init.method, init.body]).toEqual(['http://h/api/catalogue', 'PUT', 'version = 4'])
  })

  it('HTTP: rejects malformed answers as client.bad_response', async () => {
    const bad = [
      ['catalogue', { version: 1, fields: [], items: [{ code: 'x' }] }],
      ['getCase', { ...makeCase(), status: 'flying' }],
      ['getCase', { ...makeCase(), answers: { q: 1 } }],
      ['caseProgress', { ...makeProgress(), history: [{ status: 'draft' }] }],
      ['searchCatalogue', [makeItem({ questions: [{ id: 'q', text: 't', options: [], when: [{ question: 1 }] }] as never })]],
    ] as const
    for (const [method, body] of bad) {
      const b = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json(body) })
      await expect((b[method] as (a: string) => Promise<unknown>)('a')).rejects.toMatchObject({
        code: 'client.bad_response',
      })
    }
  })

  it('HTTP: passes an application error through with its code', async () => {
    const b = new HttpBackend({
      baseUrl: 'http://x',
      fetch: async () => json({ code: 'idcard.no_card', message: 'no card on the reader' }, 409),
    })
    await expect(b.startCase('ID-RENEW')).rejects.toMatchObject({ code: 'idcard.no_card' })
  })

  it('Tauri: command names and camelCase arguments with the staff token', async () => {
    const kase = makeCase()
    const invoke = vi.fn<InvokeFn>(async (cmd) => {
      if (cmd === 'catalogue') return makeCatalogue()
      if (cmd === 'catalogue_search') return [makeItem()]
      if (cmd === 'case_rate') return { case_number: 'N', grade: 'basic', submitted_at_ms: 1 }
      if (cmd === 'case_progress') return makeProgress()
      if (cmd === 'case_open_list' || cmd === 'case_lookup') return []
      if (cmd === 'catalogue_publish') return { version: 4 }
      return kase
    })
    const b = new TauriBackend({ invoke, listen: vi.fn() })
    const applicant = { name: '张三', id_number: '460100195001011234' }
    await b.catalogue()
    await b.searchCatalogue('sfz')
    await b.startCase('ID-RENEW')
    await b.startCase('ID-RENEW', applicant)
    await b.getCase('c1')
    await b.saveDraft('c1', { form: { phone: '1' } })
    await b.captureMaterialPage('c1', 'old_card')
    await b.addMaterialPages('c1', 'old_card', ['AAA'])
    await b.signCase('c1', 'PNG')
    await b.submitCase('c1')
    await b.rateCase('c1', { grade: 'basic', reasons: ['fast'], comment: '', anonymous: true })
    await b.caseProgress('N1')
    await b.openCases()
    await b.lookupCases('460100195001011234')
    await b.markMaterial('c1', 'old_card', { paperReceived: true, reviewed: true })
    await b.decideCase('c1', { decision: 'reject', reason: 'x' })
    await b.publishCatalogue('version = 4')
    const token = null
    expect(invoke.mock.calls).toEqual([
      ['catalogue', { token }],
      ['catalogue_search', { q: 'sfz', token }],
      ['case_start', { itemCode: 'ID-RENEW', applicant: null, cardToken: null, token }],
      ['case_start', { itemCode: 'ID-RENEW', applicant, cardToken: null, token }],
      ['case_get', { id: 'c1', token }],
      ['case_save_draft', { id: 'c1', patch: { form: { phone: '1' } }, token }],
      ['case_capture', { id: 'c1', materialId: 'old_card', token }],
      ['case_add_pages', { id: 'c1', materialId: 'old_card', pages: ['AAA'], token }],
      ['case_sign', { id: 'c1', png: 'PNG', token }],
      ['case_submit', { id: 'c1', token }],
      [
        'case_rate',
        { id: 'c1', input: { grade: 'basic', reasons: ['fast'], comment: '', anonymous: true }, channel: 'kiosk', token },
      ],
      ['case_progress', { number: 'N1', token }],
      ['case_open_list', { token }],
      ['case_lookup', { idNumber: '460100195001011234', token }],
      ['case_mark_material', { id: 'c1', materialId: 'old_card', paperReceived: true, reviewed: true, token }],
      ['case_decide', { id: 'c1', decision: { decision: 'reject', reason: 'x' }, token }],
      ['catalogue_publish', { toml: 'version = 4', token }],
    ])
  })
})
