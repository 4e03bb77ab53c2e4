import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { BackendError } from '../src/backend/errors'
import type { CaseView, EvaluatorOutcome, Material } from '../src/backend/types'
import FieldView from '../src/views/FieldView.vue'
import WindowView from '../src/views/WindowView.vue'
import IntakeWorkspace from '../src/views/intake/IntakeWorkspace.vue'
import { filterItems, isIdNumberFormat, isoDatePlus } from '../src/views/intake/intake'
import { makeCase, makeCaseSummary, makeCatalogue, makeConfirmScreen, makeItem } from './applicationFixtures'
import { FakeBackend, makeSession, makeStatus, mountView } from './helpers'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

/** The fixture item with two review points on the old card: the checklist's tick rule needs more than one. */
function reviewItem() {
  const base = makeItem()
  return makeItem({
    materials: base.materials.map(
      (m): Material => (m.id === 'old_card' ? { ...m, review_points: ['证件真实有效', '照片与本人一致'] } : m),
    ),
  })
}

function catalogue() {
  const c = makeCatalogue()
  return makeCatalogue({
    items: [
      reviewItem(),
      c.items[1]!,
      makeItem({ code: 'OLD-ITEM', name: '居民身份证挂失（旧）', pinyin: 'jmsfzgs', withdrawn: true, common: true }),
    ],
  })
}

const material = (id: string, overrides: Partial<CaseView['materials'][number]> = {}): CaseView['materials'][number] => ({
  id,
  name: id === 'old_card' ? '原居民身份证' : id === 'hukou' ? '户口簿' : '损坏情况说明',
  medium: id === 'old_card' ? 'original' : 'electronic',
  copies: 1,
  requirement: id === 'old_card' ? 'mandatory' : 'one_of',
  review_points: id === 'old_card' ? ['证件真实有效', '照片与本人一致'] : [],
  kiosk_capturable: true,
  pages: 0,
  paper_received: false,
  reviewed: false,
  collected: false,
  ...overrides,
})

/** A kiosk hand-over waiting for the window, as getCase answers it. */
function handover(overrides: Partial<CaseView> = {}): CaseView {
  return makeCase({
    id: 'case-2',
    number: 'LS20261124000002',
    provisional_number: 'LS20261124000002',
    status: 'handed_over',
    channel: 'kiosk',
    handover: '户口簿需到窗口核验原件',
    applicant_name_masked: '张*丰',
    applicant_id_masked: '4601**********1234',
    answers: { reason: 'expired', urgent: 'no' },
    form: { name: '张三丰', id_number: '460100195001011234', phone: '' },
    materials: [material('old_card'), material('hukou')],
    missing_materials: ['old_card', 'hukou'],
    missing_fields: ['phone'],
    ...overrides,
  })
}

function desk(): FakeBackend {
  const backend = new FakeBackend(makeStatus({ mode: 'window' }))
  backend.catalogue.mockResolvedValue(catalogue())
  backend.getCase.mockResolvedValue(handover())
  return backend
}

type W = Awaited<ReturnType<typeof mountView>>['wrapper']

async function click(wrapper: W, testid: string): Promise<void> {
  await wrapper.get(`[data-testid="${testid}"]`).trigger('click')
  await flushPromises()
}

const disabled = (wrapper: W, testid: string) =>
  (wrapper.get(`[data-testid="${testid}"]`).element as HTMLButtonElement).disabled

/** The workspace with the hand-over open from the draft box. */
async function openHandover(backend: FakeBackend) {
  backend.openCases.mockResolvedValue([makeCaseSummary({ id: 'case-2', number: 'LS20261124000002', status: 'handed_over' })])
  const mounted = await mountView(IntakeWorkspace, backend, { attach: true })
  await click(mounted.wrapper, 'draft-open-LS20261124000002')
  return mounted
}

describe('intake rules', () => {
  it('checks the ID number format: 17 digits then a digit or X', () => {
    expect(isIdNumberFormat('460100195001011234')).toBe(true)
    expect(isIdNumberFormat(' 46010019500101123x ')).toBe(true)
    expect(isIdNumberFormat('46010019500101123')).toBe(false)
    expect(isIdNumberFormat('4601001950010112345')).toBe(false)
    expect(isIdNumberFormat('46010019500101123Y')).toBe(false)
  })

  it('filters the catalogue by name, pinyin initials or code and leaves withdrawn items out', () => {
    const items = catalogue().items
    expect(filterItems(items, '身份证').map((i) => i.code)).toEqual(['ID-RENEW'])
    expect(filterItems(items, 'JMSF').map((i) => i.code)).toEqual(['ID-RENEW'])
    expect(filterItems(items, 'biz').map((i) => i.code)).toEqual(['BIZ-LIC'])
    expect(filterItems(items, '').map((i) => i.code)).toEqual([])
  })

  it('counts default dates in local days', () => {
    expect(isoDatePlus(10, new Date(2026, 10, 24, 23, 30))).toBe('2026-12-04')
    expect(isoDatePlus(15, new Date(2026, 11, 20))).toBe('2027-01-04')
  })
})

describe('intake: the applicant', () => {
  it('reads the card, shows the masked applicant and their cases, and opens one', async () => {
    const backend = desk()
    const { wrapper } = await mountView(IntakeWorkspace, backend)
    expect(wrapper.find('[data-testid="intake"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="intake-applicant"]').exists()).toBe(false)
    await click(wrapper, 'intake-read-card')
    expect(backend.readApplicantCard).toHaveBeenCalledWith()
    const applicant = wrapper.get('[data-testid="intake-applicant"]')
    expect(applicant.text()).toContain('张*丰')
    expect(applicant.text()).toContain('4601**********1234')
    const cases = wrapper.get('[data-testid="applicant-cases"]')
    const row = cases.get('[data-testid="applicant-case-LS20261124000002"]')
    expect(row.text()).toContain('居民身份证换领')
    expect(row.text()).toContain('待窗口受理')
    expect(cases.get('[data-testid="applicant-case-LS20261120000007"]').text()).toContain('已受理')

    await click(wrapper, 'applicant-open-LS20261124000002')
    expect(backend.getCase).toHaveBeenCalledWith('case-2')
    const head = wrapper.get('[data-testid="case-desk"]')
    expect(head.get('[data-testid="case-number"]').text()).toBe('LS20261124000002')
    const status = head.get('[data-testid="case-status"]')
    expect(status.attributes('data-status')).toBe('handed_over')
    expect(status.text()).toBe('待窗口受理')
    expect(head.get('[data-testid="case-synced"]').text()).toBe('尚未同步')
    expect(head.get('[data-testid="case-handover"]').text()).toContain('户口簿需到窗口核验原件')
    expect(head.get('[data-testid="case-channel"]').text()).toBe('自助终端')
    // The card-prefilled ID number is shown masked, never in full.
    expect((head.get('[data-testid="case-field-id_number"]').element as HTMLInputElement).value).toBe('4601**********1234')
    expect(wrapper.html()).not.toContain('460100195001011234')
  })

  it('shows the new status of a case in the applicant\'s list after a decision', async () => {
    const backend = desk()
    backend.decideCase.mockResolvedValue(handover({ status: 'accepted', decision: { decision: 'accept' } }))
    const { wrapper } = await mountView(IntakeWorkspace, backend, { attach: true })
    await click(wrapper, 'intake-read-card')
    await click(wrapper, 'applicant-open-LS20261124000002')
    const drafts = backend.openCases.mock.calls.length
    await click(wrapper, 'decide-accept')
    await click(wrapper, 'decision-confirm')
    expect(wrapper.get('[data-testid="applicant-case-LS20261124000002"]').text()).toContain('已受理')
    expect(backend.openCases.mock.calls.length).toBeGreaterThan(drafts)
  })

  it('translates a card reader error', async () => {
    const backend = desk()
    backend.readApplicantCard.mockRejectedValue(new BackendError('idcard.no_card', 'no card'))
    const { wrapper } = await mountView(IntakeWorkspace, backend)
    await click(wrapper, 'intake-read-card')
    expect(wrapper.get('[data-testid="intake-error"]').text()).toContain('没有读到身份证')
  })

  it('starts a new case for the card read, with its token', async () => {
    const backend = desk()
    const started = handover({ id: 'case-9', number: 'LS20261124000009', status: 'draft', channel: 'window', handover: null })
    backend.startCase.mockResolvedValue(started)
    const { wrapper } = await mountView(IntakeWorkspace, backend)
    await wrapper.get('[data-testid="new-case-search"]').setValue('jmsf')
    await flushPromises()
    expect(wrapper.find('[data-testid="new-case-item-BIZ-LIC"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="new-case-item-OLD-ITEM"]').exists()).toBe(false)
    // No applicant yet: the item cannot be chosen.
    expect(disabled(wrapper, 'new-case-item-ID-RENEW')).toBe(true)
    await click(wrapper, 'intake-read-card')
    expect(disabled(wrapper, 'new-case-item-ID-RENEW')).toBe(false)
    const drafts = backend.openCases.mock.calls.length
    await click(wrapper, 'new-case-item-ID-RENEW')
    expect(backend.startCase).toHaveBeenCalledWith('ID-RENEW', { card_token: 'card-tok-1' })
    expect(wrapper.get('[data-testid="case-number"]').text()).toBe('LS20261124000009')
    // Opened from the answer itself; the draft box reloads.
    expect(backend.getCase).not.toHaveBeenCalled()
    expect(backend.openCases.mock.calls.length).toBeGreaterThan(drafts)
    expect(wrapper.find('[data-testid="applicant-case-LS20261124000009"]').exists()).toBe(true)

    await wrapper.get('[data-testid="new-case-search"]').setValue('BIZ')
    expect(wrapper.find('[data-testid="new-case-item-BIZ-LIC"]').exists()).toBe(true)
    await wrapper.get('[data-testid="new-case-search"]').setValue('营业执照')
    expect(wrapper.find('[data-testid="new-case-item-BIZ-LIC"]').exists()).toBe(true)
  })

  it('validates the applicant typed in by hand and starts the case with it', async () => {
    const backend = desk()
    const { wrapper } = await mountView(IntakeWorkspace, backend)
    await click(wrapper, 'intake-manual')
    expect(wrapper.get('[data-testid="intake-manual"]').attributes('aria-pressed')).toBe('true')
    await wrapper.get('[data-testid="new-case-search"]').setValue('ID-RENEW')
    await wrapper.get('[data-testid="manual-name"]').setValue('李四')
    await wrapper.get('[data-testid="manual-id-number"]').setValue('46010019900101123')
    expect(wrapper.get('[data-testid="manual-id-error"]').text()).toContain('18 位')
    expect(disabled(wrapper, 'new-case-item-ID-RENEW')).toBe(true)

    await wrapper.get('[data-testid="manual-id-number"]').setValue('46010019900101123x')
    expect(wrapper.find('[data-testid="manual-id-error"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="intake-applicant"]').text()).toContain('4601**********123X')
    expect(wrapper.get('[data-testid="intake-applicant"]').text()).toContain('李*')
    await wrapper.get('[data-testid="manual-name"]').setValue('  ')
    expect(disabled(wrapper, 'new-case-item-ID-RENEW')).toBe(true)
    await wrapper.get('[data-testid="manual-name"]').setValue(' 李四 ')
    expect(disabled(wrapper, 'new-case-item-ID-RENEW')).toBe(false)
    await click(wrapper, 'new-case-item-ID-RENEW')
    expect(backend.startCase).toHaveBeenCalledWith('ID-RENEW', { name: '李四', id_number: '46010019900101123X' })
  })
})

describe('intake: the draft box', () => {
  it('lists open cases and reloads on cases.changed only', async () => {
    const backend = desk()
    const { wrapper } = await mountView(IntakeWorkspace, backend)
    expect(wrapper.get('[data-testid="draft-box"]').text()).toContain('草稿箱是空的')
    backend.openCases.mockResolvedValue([
      makeCaseSummary({ id: 'case-2', number: 'LS20261124000002', status: 'handed_over' }),
    ])
    backend.emit({ type: 'tickets.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="draft-case-LS20261124000002"]').exists()).toBe(false)
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    const row = wrapper.get('[data-testid="draft-case-LS20261124000002"]')
    expect(row.text()).toContain('待窗口受理')
    expect(row.text()).toContain('张*丰')
    await click(wrapper, 'draft-open-LS20261124000002')
    expect(backend.getCase).toHaveBeenCalledWith('case-2')
    expect(wrapper.get('[data-testid="case-number"]').text()).toBe('LS20261124000002')

    // The open case follows too.
    backend.getCase.mockResolvedValue(handover({ synced: true }))
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    expect(wrapper.get('[data-testid="case-synced"]').text()).toBe('已同步')
  })
})

describe('intake: the case desk', () => {
  it('saves the pruned answers at once when the situation changes, and the checklist follows', async () => {
    const backend = desk()
    backend.getCase.mockResolvedValue(handover({ answers: { reason: 'damaged', damage_kind: 'full', urgent: 'no' } }))
    backend.saveDraft.mockImplementation(async (_id, patch) => handover({ answers: patch.answers ?? {} }))
    const { wrapper } = await openHandover(backend)
    expect(wrapper.find('[data-testid="situation-damage_kind"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="checklist-damage_photo"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="situation-reason-damaged"]').attributes('aria-checked')).toBe('true')

    await click(wrapper, 'situation-reason-expired')
    expect(backend.saveDraft).toHaveBeenCalledWith('case-2', { answers: { reason: 'expired', urgent: 'no' } })
    expect(wrapper.get('[data-testid="situation-reason-expired"]').attributes('aria-checked')).toBe('true')
    expect(wrapper.find('[data-testid="situation-damage_kind"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="checklist-damage_photo"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="checklist-old_card"]').exists()).toBe(true)
  })

  it('keeps the chosen situation and shows the error when the save is refused', async () => {
    const backend = desk()
    backend.saveDraft.mockRejectedValue(new BackendError('application.not_editable', 'submitted'))
    const { wrapper } = await openHandover(backend)
    await click(wrapper, 'situation-urgent-yes')
    expect(wrapper.get('[data-testid="case-error"]').text()).toContain('办件已提交，不能再修改')
    expect(wrapper.get('[data-testid="case-error"]').attributes('role')).toBe('alert')
    expect(wrapper.get('[data-testid="situation-urgent-yes"]').attributes('aria-checked')).toBe('true')
  })

  it('marks a material reviewed only once every review point is ticked', async () => {
    const backend = desk()
    backend.markMaterial.mockResolvedValue(handover())
    const { wrapper } = await openHandover(backend)
    const row = wrapper.get('[data-testid="checklist-old_card"]')
    expect(row.attributes('data-collected')).toBe('false')
    expect(row.text()).toContain('原件')
    expect(row.text()).toContain('必交')
    expect(wrapper.get('[data-testid="checklist-hukou"]').text()).toContain('任选其一')

    await wrapper.get('[data-testid="review-old_card-0"]').setValue(true)
    await flushPromises()
    expect(backend.markMaterial).toHaveBeenLastCalledWith('case-2', 'old_card', { paperReceived: false, reviewed: false })

    backend.markMaterial.mockResolvedValue(
      handover({ materials: [material('old_card', { paper_received: true, reviewed: false }), material('hukou')] }),
    )
    await click(wrapper, 'paper-old_card')
    expect(backend.markMaterial).toHaveBeenLastCalledWith('case-2', 'old_card', { paperReceived: true, reviewed: false })
    expect(wrapper.get('[data-testid="paper-old_card"]').attributes('aria-pressed')).toBe('true')

    backend.markMaterial.mockResolvedValue(
      handover({
        materials: [material('old_card', { paper_received: true, reviewed: true, collected: true }), material('hukou')],
      }),
    )
    await wrapper.get('[data-testid="review-old_card-1"]').setValue(true)
    await flushPromises()
    expect(backend.markMaterial).toHaveBeenLastCalledWith('case-2', 'old_card', { paperReceived: true, reviewed: true })
    expect(wrapper.get('[data-testid="checklist-old_card"]').attributes('data-collected')).toBe('true')

    // Unticking one takes "reviewed" back.
    await wrapper.get('[data-testid="review-old_card-0"]').setValue(false)
    await flushPromises()
    expect(backend.markMaterial).toHaveBeenLastCalledWith('case-2', 'old_card', { paperReceived: true, reviewed: false })

    // Without review points, a material counts as reviewed once its paper is in.
    await click(wrapper, 'paper-hukou')
    expect(backend.markMaterial).toHaveBeenLastCalledWith('case-2', 'hukou', { paperReceived: true, reviewed: true })
  })

  it('scans a page with the document camera and shows the page count', async () => {
    const backend = desk()
    backend.captureMaterialPage.mockResolvedValue(handover({ materials: [material('old_card', { pages: 2 }), material('hukou')] }))
    const { wrapper } = await openHandover(backend)
    expect(wrapper.get('[data-testid="pages-old_card"]').text()).toBe('0 页')
    await click(wrapper, 'scan-old_card')
    expect(backend.captureMaterialPage).toHaveBeenCalledWith('case-2', 'old_card')
    expect(wrapper.get('[data-testid="pages-old_card"]').text()).toBe('2 页')
  })

  it('disables the buttons while a call runs', async () => {
    const backend = desk()
    let finish: (v: CaseView) => void = () => undefined
    backend.captureMaterialPage.mockImplementation(() => new Promise<CaseView>((resolve) => (finish = resolve)))
    const { wrapper } = await openHandover(backend)
    await wrapper.get('[data-testid="scan-old_card"]').trigger('click')
    await flushPromises()
    for (const id of ['scan-old_card', 'paper-hukou', 'decide-accept', 'case-save', 'situation-urgent-yes']) {
      expect(disabled(wrapper, id), id).toBe(true)
    }
    finish(handover())
    await flushPromises()
    expect(disabled(wrapper, 'scan-old_card')).toBe(false)
  })

  it('saves the form to the draft box, marks missing fields and keeps the text on an error', async () => {
    const backend = desk()
    const { wrapper } = await openHandover(backend)
    expect(wrapper.find('[data-testid="case-field-missing-phone"]').exists()).toBe(true)
    const name = wrapper.get<HTMLInputElement>('[data-testid="case-field-name"]')
    expect(name.element.readOnly).toBe(true)
    expect(name.element.value).toBe('张*丰')

    backend.saveDraft.mockRejectedValueOnce(new BackendError('application.bad_field_value', 'phone'))
    await wrapper.get('[data-testid="case-field-phone"]').setValue('1380000')
    await click(wrapper, 'case-save')
    expect(wrapper.get('[data-testid="case-error"]').text()).toContain('格式不正确')
    expect(wrapper.get<HTMLInputElement>('[data-testid="case-field-phone"]').element.value).toBe('1380000')
    expect(wrapper.find('[data-testid="case-saved"]').exists()).toBe(false)

    backend.saveDraft.mockResolvedValue(handover({ form: { phone: '13800000000' }, missing_fields: [] }))
    await wrapper.get('[data-testid="case-field-phone"]').setValue(' 13800000000 ')
    await click(wrapper, 'case-save')
    expect(backend.saveDraft).toHaveBeenLastCalledWith('case-2', { form: { phone: '13800000000' } })
    expect(wrapper.get('[data-testid="case-saved"]').text()).toBe('已保存到草稿箱')
    expect(wrapper.find('[data-testid="case-field-missing-phone"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="case-error"]').exists()).toBe(false)
  })

  it('never shows a stored ID number in full, and sends one typed again', async () => {
    const backend = desk()
    const c = catalogue()
    backend.catalogue.mockResolvedValue({
      ...c,
      fields: [...c.fields, { code: 'agent_id', label: '代办人身份证号', kind: 'id_number', choices: [], prefill: null, max_len: 18 }],
      items: [{ ...c.items[0]!, form: [...c.items[0]!.form, { field: 'agent_id', required: false, when: [] }] }, ...c.items.slice(1)],
    })
    backend.getCase.mockResolvedValue(handover({ form: { name: '张三丰', agent_id: '460100198001011234' } }))
    backend.saveDraft.mockResolvedValue(handover())
    const { wrapper } = await openHandover(backend)
    const agent = wrapper.get<HTMLInputElement>('[data-testid="case-field-agent_id"]')
    expect(agent.element.value).toBe('')
    expect(wrapper.get('[data-testid="case-form"]').text()).toContain('4601**********1234')
    expect(wrapper.html()).not.toContain('460100198001011234')
    await click(wrapper, 'case-save')
    // An empty box leaves the stored number as it is.
    expect(backend.saveDraft).toHaveBeenLastCalledWith('case-2', { form: {} })
    await agent.setValue('46010019800101123x')
    await click(wrapper, 'case-save')
    expect(backend.saveDraft).toHaveBeenLastCalledWith('case-2', { form: { agent_id: '46010019800101123X' } })
  })

  it('lists the notices with their kind and whether they were printed', async () => {
    const backend = desk()
    backend.getCase.mockResolvedValue(
      handover({
        notices: [
          { kind: 'receipt', at_ms: 1_763_950_000_000, printed: true },
          { kind: 'acceptance_with_missing', at_ms: 1_763_960_000_000, printed: false },
        ],
      }),
    )
    const { wrapper } = await openHandover(backend)
    const notices = wrapper.get('[data-testid="case-notices"]')
    const receipt = notices.get('[data-testid="notice-receipt"]')
    expect(receipt.attributes('data-printed')).toBe('true')
    expect(receipt.text()).toContain('收件回执')
    expect(receipt.text()).toContain('已打印')
    const acceptance = notices.get('[data-testid="notice-acceptance_with_missing"]')
    expect(acceptance.attributes('data-printed')).toBe('false')
    expect(acceptance.text()).toContain('容缺受理通知书')
    expect(acceptance.text()).toContain('未打印')
  })
})

describe('intake: decisions', () => {
  const accepted = () => handover({ status: 'accepted', decision: { decision: 'accept' } })

  async function openDialog(kind: string) {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date(2026, 10, 24, 10, 0))
    const backend = desk()
    backend.decideCase.mockResolvedValue(accepted())
    const mounted = await openHandover(backend)
    await click(mounted.wrapper, `decide-${kind}`)
    return { backend, wrapper: mounted.wrapper, dialog: () => mounted.wrapper.get('[data-testid="decision-dialog"]') }
  }

  it('offers the four decisions only while the case awaits intake', async () => {
    const backend = desk()
    const { wrapper } = await openHandover(backend)
    for (const k of ['accept', 'accept_with_missing', 'reject', 'request_correction']) {
      expect(wrapper.find(`[data-testid="decide-${k}"]`).exists(), k).toBe(true)
    }
    backend.getCase.mockResolvedValue(accepted())
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    expect(wrapper.find('[data-testid="decide-accept"]').exists()).toBe(false)
  })

  it('受理: lists what is missing, sends {decision: accept}, keeps the dialog open on refusal', async () => {
    const { backend, wrapper, dialog } = await openDialog('accept')
    expect(dialog().text()).toContain('受理：LS20261124000002')
    expect(dialog().get('[data-testid="decision-missing"]').text()).toContain('原居民身份证')
    backend.decideCase.mockRejectedValueOnce(new BackendError('application.material_missing', 'old_card'))
    await click(wrapper, 'decision-confirm')
    expect(backend.decideCase).toHaveBeenCalledWith('case-2', { decision: 'accept' })
    expect(dialog().get('[data-testid="decision-error"]').text()).toContain('还有必交材料没有提交')

    await click(wrapper, 'decision-confirm')
    expect(wrapper.find('[data-testid="decision-dialog"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="case-status"]').attributes('data-status')).toBe('accepted')
  })

  it('容缺受理: preselects what is still missing, promise date today + 10 days', async () => {
    const { backend, wrapper, dialog } = await openDialog('accept_with_missing')
    const hukou = dialog().get<HTMLInputElement>('[data-testid="decision-material-hukou"]')
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-material-old_card"]').element.checked).toBe(true)
    expect(hukou.element.checked).toBe(true)
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-date"]').element.value).toBe('2026-12-04')
    await hukou.setValue(false)
    backend.decideCase.mockRejectedValueOnce(new BackendError('application.bad_date', 'past'))
    await dialog().get('[data-testid="decision-date"]').setValue('2026-12-01')
    await click(wrapper, 'decision-confirm')
    expect(backend.decideCase).toHaveBeenCalledWith('case-2', {
      decision: 'accept_with_missing',
      missing: ['old_card'],
      promise_date: '2026-12-01',
    })
    expect(dialog().get('[data-testid="decision-error"]').text()).toContain('日期格式不正确')
    // Nothing entered is lost.
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-material-hukou"]').element.checked).toBe(false)
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-date"]').element.value).toBe('2026-12-01')

    await dialog().get('[data-testid="decision-material-old_card"]').setValue(false)
    expect(disabled(wrapper, 'decision-confirm')).toBe(true)
  })

  it('不予受理: needs a reason', async () => {
    const { backend, wrapper, dialog } = await openDialog('reject')
    expect(disabled(wrapper, 'decision-confirm')).toBe(true)
    backend.decideCase.mockRejectedValueOnce(new BackendError('application.bad_transition', 'no'))
    await dialog().get('[data-testid="decision-reason"]').setValue(' 不属于本事项受理范围 ')
    await click(wrapper, 'decision-confirm')
    expect(backend.decideCase).toHaveBeenCalledWith('case-2', { decision: 'reject', reason: '不属于本事项受理范围' })
    expect(dialog().find('[data-testid="decision-error"]').exists()).toBe(true)
    expect(dialog().get<HTMLTextAreaElement>('[data-testid="decision-reason"]').element.value).toBe(' 不属于本事项受理范围 ')
  })

  it('补齐补正: the missing materials preselected, a reason and a deadline of today + 15 days', async () => {
    const { backend, wrapper, dialog } = await openDialog('request_correction')
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-material-old_card"]').element.checked).toBe(true)
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-material-hukou"]').element.checked).toBe(true)
    expect(dialog().get<HTMLInputElement>('[data-testid="decision-date"]').element.value).toBe('2026-12-09')
    expect(disabled(wrapper, 'decision-confirm')).toBe(true)
    await dialog().get('[data-testid="decision-material-old_card"]').setValue(false)
    await dialog().get('[data-testid="decision-reason"]').setValue('户口簿页面不清晰')
    backend.decideCase.mockRejectedValueOnce(new BackendError('application.reason_required', 'reason'))
    await click(wrapper, 'decision-confirm')
    expect(backend.decideCase).toHaveBeenCalledWith('case-2', {
      decision: 'request_correction',
      materials: ['hukou'],
      reason: '户口簿页面不清晰',
      deadline: '2026-12-09',
    })
    expect(dialog().get('[data-testid="decision-error"]').text()).toContain('请填写原因')
  })
})

describe('intake: rating on the keypad evaluator', () => {
  const decided = (overrides: Partial<CaseView> = {}) =>
    handover({ status: 'accepted', decision: { decision: 'accept' }, ...overrides })

  it('is offered once the case is decided, and records a good grade', async () => {
    const backend = desk()
    let answer: (v: EvaluatorOutcome) => void = () => undefined
    backend.rateWithEvaluator.mockImplementation(() => new Promise((resolve) => (answer = resolve)))
    const { wrapper } = await openHandover(backend)
    expect(wrapper.find('[data-testid="rate-evaluator"]').exists()).toBe(false)
    backend.getCase.mockResolvedValue(decided())
    backend.emit({ type: 'cases.changed' })
    await flushPromises()

    await click(wrapper, 'rate-evaluator')
    expect(backend.rateWithEvaluator).toHaveBeenCalledWith('case-2')
    expect(wrapper.find('[data-testid="rating-waiting"]').exists()).toBe(true)
    answer({ grade: 'satisfied', rating: { case_number: 'LS20261124000002', grade: 'satisfied', submitted_at_ms: 1 } })
    await flushPromises()
    const done = wrapper.get('[data-testid="rating-done"]')
    expect(done.attributes('data-grade')).toBe('satisfied')
    expect(done.text()).toContain('满意')
    expect(backend.rateCase).not.toHaveBeenCalled()
  })

  it('asks for the reasons of a dissatisfied grade, then rates through the evaluator channel', async () => {
    const backend = desk()
    backend.getCase.mockResolvedValue(decided())
    backend.rateWithEvaluator.mockResolvedValue({ grade: 'very_dissatisfied', rating: null })
    const { wrapper } = await openHandover(backend)
    await click(wrapper, 'rate-evaluator')
    expect(wrapper.find('[data-testid="rating-done"]').exists()).toBe(false)
    const reasons = wrapper.get('[data-testid="evaluator-reasons"]')
    expect(reasons.text()).toContain('非常不满意')
    expect(reasons.find('[data-testid="evaluator-reason-fast"]').exists()).toBe(false)
    // Nothing preselected; a reason is mandatory.
    expect(reasons.get('[data-testid="evaluator-reason-long_wait"]').attributes('aria-pressed')).toBe('false')
    expect(disabled(wrapper, 'evaluator-reason-submit')).toBe(true)
    await click(wrapper, 'evaluator-reason-long_wait')
    await click(wrapper, 'evaluator-reason-slow')
    await click(wrapper, 'evaluator-reason-slow')
    expect(disabled(wrapper, 'evaluator-reason-submit')).toBe(false)
    await click(wrapper, 'evaluator-reason-submit')
    expect(backend.rateCase).toHaveBeenCalledWith(
      'case-2',
      { grade: 'very_dissatisfied', reasons: ['long_wait'], comment: '', anonymous: false },
      'evaluator',
    )
    expect(wrapper.get('[data-testid="rating-done"]').attributes('data-grade')).toBe('very_dissatisfied')
  })

  it('stops waiting on screen when cancelled and ignores the late answer', async () => {
    const backend = desk()
    backend.getCase.mockResolvedValue(decided())
    let answer: (v: EvaluatorOutcome) => void = () => undefined
    backend.rateWithEvaluator.mockImplementation(() => new Promise((resolve) => (answer = resolve)))
    const { wrapper } = await openHandover(backend)
    await click(wrapper, 'rate-evaluator')
    await click(wrapper, 'rating-cancel')
    expect(wrapper.find('[data-testid="rating-waiting"]').exists()).toBe(false)
    expect(disabled(wrapper, 'rate-evaluator')).toBe(false)
    answer({ grade: 'dissatisfied', rating: null })
    await flushPromises()
    expect(wrapper.find('[data-testid="evaluator-reasons"]').exists()).toBe(false)
  })

  it('says clearly when the case was already rated, and shows a rated case as such', async () => {
    const backend = desk()
    backend.getCase.mockResolvedValue(decided())
    backend.rateWithEvaluator.mockRejectedValueOnce(new BackendError('evaluator.timeout', 'no key'))
    backend.rateWithEvaluator.mockRejectedValueOnce(new BackendError('rating.already_rated', 'rated'))
    const { wrapper } = await openHandover(backend)
    await click(wrapper, 'rate-evaluator')
    expect(wrapper.get('[data-testid="case-error"]').text()).toContain('申请人没有在评价器上按键')
    await click(wrapper, 'rate-evaluator')
    expect(wrapper.get('[data-testid="case-error"]').text()).toBe('这个办件已经评价过了，不能重复评价')
    expect(wrapper.find('[data-testid="case-rated"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="rate-evaluator"]').exists()).toBe(false)
  })

  it('shows the rated badge for a case rated before', async () => {
    const backend = desk()
    backend.getCase.mockResolvedValue(decided({ rated: true }))
    const { wrapper } = await openHandover(backend)
    expect(wrapper.get('[data-testid="case-rated"]').text()).toBe('已评价')
    expect(wrapper.find('[data-testid="rate-evaluator"]').exists()).toBe(false)
  })
})

describe('intake on the window desk and the field laptop', () => {
  it('sits on the window desk below the ticket, whether or not a ticket is served', async () => {
    const backend = desk()
    const { wrapper } = await mountView(WindowView, backend)
    expect(wrapper.find('[data-testid="current-ticket"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="intake"]').exists()).toBe(true)
    expect(backend.readApplicantCard).not.toHaveBeenCalled()
  })

  function field(): FakeBackend {
    const backend = new FakeBackend(
      makeStatus({
        mode: 'field',
        sync: { server: 'https://sync.example.gov.cn', state: 'offline', last_sync_at: null, pending: 5, refused: 0 },
      }),
    )
    backend.catalogue.mockResolvedValue(catalogue())
    return backend
  }

  async function mountField(backend: FakeBackend) {
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: { render: () => null } },
        { path: '/sync', component: { render: () => null } },
      ],
    })
    return mountView(FieldView, backend, { router, attach: true })
  }

  it('is behind the staff login with field-intake', async () => {
    const backend = field()
    backend.sessionValue = null
    const { wrapper } = await mountField(backend)
    expect(wrapper.get('[data-testid="unsynced"]').text()).toContain('5 条待同步')
    expect(wrapper.find('[data-testid="intake"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="field-export"]').exists()).toBe(false)
    backend.setSession(makeSession({ permissions: ['serve-window'] }))
    await flushPromises()
    expect(wrapper.find('[data-testid="staff-no-permission"]').exists()).toBe(true)
    backend.setSession(makeSession({ permissions: ['field-intake'] }))
    await flushPromises()
    expect(wrapper.find('[data-testid="intake"]').exists()).toBe(true)
    expect(wrapper.get('[data-testid="field-unsynced-list"]').attributes('href')).toBe('/sync')
    expect(wrapper.find('[data-testid="terminal-panel"]').exists()).toBe(true)
  })

  it('exports a bundle once the passphrase is long enough and typed twice alike', async () => {
    const backend = field()
    const { wrapper } = await mountField(backend)
    await click(wrapper, 'field-export')
    const dialog = () => wrapper.get('[data-testid="export-dialog"]')
    expect(dialog().get('[data-testid="export-passphrase"]').attributes('type')).toBe('password')
    expect(dialog().get('[data-testid="export-passphrase-again"]').attributes('type')).toBe('password')
    expect(disabled(wrapper, 'export-submit')).toBe(true)

    await dialog().get('[data-testid="export-passphrase"]').setValue('short')
    expect(dialog().get('[data-testid="export-invalid"]').text()).toBe('口令至少 8 位')
    await dialog().get('[data-testid="export-passphrase"]').setValue('correct horse')
    await dialog().get('[data-testid="export-passphrase-again"]').setValue('correct hose')
    expect(dialog().get('[data-testid="export-invalid"]').text()).toBe('两次输入的口令不一致')
    expect(disabled(wrapper, 'export-submit')).toBe(true)
    await dialog().get('[data-testid="export-passphrase-again"]').setValue('correct horse')
    expect(dialog().find('[data-testid="export-invalid"]').exists()).toBe(false)
    expect(disabled(wrapper, 'export-submit')).toBe(false)

    await click(wrapper, 'export-submit')
    expect(backend.exportBundle).toHaveBeenCalledWith('correct horse')
    const result = dialog().get('[data-testid="export-result"]')
    expect(result.text()).toContain('/media/usb/banshi-T-QT-01.bundle')
    expect(result.text()).toContain('3 条记录')
    // The passphrase does not stay in the form.
    expect(dialog().get<HTMLInputElement>('[data-testid="export-passphrase"]').element.value).toBe('')
  })

  it('shows a translated export error', async () => {
    const backend = field()
    backend.exportBundle.mockRejectedValue(new BackendError('sync.no_server', 'none'))
    const { wrapper } = await mountField(backend)
    await click(wrapper, 'field-export')
    await wrapper.get('[data-testid="export-passphrase"]').setValue('correct horse')
    await wrapper.get('[data-testid="export-passphrase-again"]').setValue('correct horse')
    await click(wrapper, 'export-submit')
    expect(wrapper.get('[data-testid="export-error"]').text()).toContain('本机未配置同步服务器')
    expect(wrapper.find('[data-testid="export-result"]').exists()).toBe(false)
  })
})

describe('intake: the customer screen (窗口互动屏)', () => {
  function withScreen(): FakeBackend {
    const backend = new FakeBackend(makeStatus({ mode: 'window', customer_screen: true }))
    backend.catalogue.mockResolvedValue(catalogue())
    backend.getCase.mockResolvedValue(handover())
    return backend
  }

  it('is not offered at a desk without one', async () => {
    const backend = desk()
    const { wrapper } = await openHandover(backend)
    expect(wrapper.find('[data-testid="case-customer-screen"]').exists()).toBe(false)
    expect(backend.customerScreen).not.toHaveBeenCalled()
  })

  it('puts the case on the screen to confirm and sign, then follows the applicant’s answers', async () => {
    const backend = withScreen()
    const { wrapper } = await openHandover(backend)
    backend.customerScreenValue = makeConfirmScreen({ number: 'LS20261124000002' })
    await click(wrapper, 'customer-confirm')
    expect(backend.showOnCustomerScreen).toHaveBeenCalledWith('case-2', 'confirm')
    const state = () => wrapper.get('[data-testid="customer-state"]')
    expect(state().attributes('data-state')).toBe('confirm')
    expect(state().text()).toBe('互动屏：等待申请人核对信息并签名')

    // The applicant says something is wrong: the desk says so.
    backend.customerScreenValue = { screen: 'answered', offer: 'offer-1', answer: 'disputed', case_id: 'case-2' }
    backend.emit({ type: 'customer_screen.changed' })
    await flushPromises()
    expect(state().attributes('data-state')).toBe('disputed')
    expect(state().text()).toContain('申请人认为信息有误')

    // Shown again and signed: the case comes back signed.
    backend.customerScreenValue = { screen: 'answered', offer: 'offer-2', answer: 'signed', case_id: 'case-2' }
    backend.getCase.mockResolvedValue(handover({ signed: true }))
    backend.emit({ type: 'customer_screen.changed' })
    backend.emit({ type: 'cases.changed' })
    await flushPromises()
    expect(state().attributes('data-state')).toBe('signed')
    expect(wrapper.get('[data-testid="case-signed"]').text()).toBe('已签名')

    await click(wrapper, 'customer-clear')
    expect(backend.clearCustomerScreen).toHaveBeenCalled()
    expect(wrapper.find('[data-testid="customer-state"]').exists()).toBe(false)
  })

  it('offers the rating page beside the evaluator once decided, and shows a refusal for a rated case', async () => {
    const backend = withScreen()
    backend.getCase.mockResolvedValue(handover({ status: 'accepted', decision: { decision: 'accept' } }))
    const { wrapper } = await openHandover(backend)
    expect(wrapper.find('[data-testid="customer-confirm"]').exists()).toBe(false)
    backend.customerScreenValue = {
      screen: 'rate',
      offer: 'offer-3',
      case_number: 'LS20261124000002',
      item_name: '居民身份证换领',
      window: 5,
    }
    await click(wrapper, 'rate-customer-screen')
    expect(backend.showOnCustomerScreen).toHaveBeenCalledWith('case-2', 'rate')
    expect(wrapper.get('[data-testid="customer-rating-state"]').text()).toBe('互动屏：等待申请人评价')

    backend.showOnCustomerScreen.mockRejectedValueOnce(new BackendError('rating.already_rated', 'rated'))
    await click(wrapper, 'rate-customer-screen')
    expect(wrapper.get('[data-testid="case-error"]').text()).toBe('这个办件已经评价过了，不能重复评价')
    expect(wrapper.find('[data-testid="case-rated"]').exists()).toBe(true)
  })
})

describe('intake: pre-review (业务预审)', () => {
  it('passes a kiosk hand-over with an optional opinion, and a rejection needs one', async () => {
    const backend = desk()
    backend.preReviewCase.mockResolvedValueOnce(handover({ status: 'pre_review_passed' }))
    const { wrapper } = await openHandover(backend)
    expect(wrapper.find('[data-testid="case-pre-review"]').exists()).toBe(true)
    expect(disabled(wrapper, 'pre-review-reject')).toBe(true)
    await wrapper.get('[data-testid="pre-review-opinion"]').setValue(' 材料齐全 ')
    await click(wrapper, 'pre-review-pass')
    expect(backend.preReviewCase).toHaveBeenCalledWith('case-2', { verdict: 'pass', opinion: '材料齐全' })
    // Passed: no second pre-review, the decisions stay.
    expect(wrapper.find('[data-testid="case-pre-review"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="case-decisions"]').exists()).toBe(true)
  })

  it('rejects with the opinion and then offers no decision', async () => {
    const backend = desk()
    backend.preReviewCase.mockResolvedValueOnce(handover({ status: 'pre_review_rejected' }))
    const { wrapper } = await openHandover(backend)
    await wrapper.get('[data-testid="pre-review-opinion"]').setValue('户口簿照片不清晰')
    await click(wrapper, 'pre-review-reject')
    expect(backend.preReviewCase).toHaveBeenCalledWith('case-2', { verdict: 'reject', opinion: '户口簿照片不清晰' })
    expect(wrapper.find('[data-testid="case-pre-review"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="case-decisions"]').exists()).toBe(false)
  })
})
