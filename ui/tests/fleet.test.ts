import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { BackendError } from '../src/backend/errors'
import { HttpBackend } from '../src/backend/http'
import { TauriBackend, type InvokeFn } from '../src/backend/tauri'
import FleetTerminals from '../src/components/fleet/FleetTerminals.vue'
import {
  VALIDATE_DELAY_MS,
  fieldValue,
  parseToml,
  profileFields,
  readField,
  writeField,
  type ProfileField,
} from '../src/components/fleet/profileForm'
import AdminView from '../src/views/AdminView.vue'
import FleetProfiles from '../src/views/FleetProfiles.vue'
import { FakeBackend, makeSession, mountView } from './helpers'
import { PROFILE_SCHEMA, PROFILE_TOML, makeFleet, makeFleetTerminal, makeRollout } from './fleetFixtures'

afterEach(() => {
  vi.useRealTimers()
})

function fleetBackend(): FakeBackend {
  const backend = new FakeBackend()
  backend.fleetTerminals.mockResolvedValue({ offline_after_minutes: 5, terminals: makeFleet() })
  backend.fleetProfileSchema.mockResolvedValue(PROFILE_SCHEMA)
  return backend
}

const ids = (wrapper: { findAll: (s: string) => { attributes: (n: string) => string | undefined }[] }) =>
  wrapper
    .findAll('[data-testid^="fleet-row-"]')
    .map((r) => r.attributes('data-testid')!.replace('fleet-row-', ''))

describe('fleet view', () => {
  it('lists every terminal with its applied version, devices, paper, disk and translated faults', async () => {
    const backend = fleetBackend()
    const { wrapper } = await mountView(FleetTerminals, backend)
    expect(ids(wrapper)).toEqual(['hk-longhua-zz-01', 'hk-longhua-qh-01', 'hk-meilan-zz-01', 'hk-meilan-qh-01'])
    expect(wrapper.get('[data-testid="fleet-summary"]').text()).toBe('共 4 台终端，2 台有故障（5 分钟无心跳视为离线）')

    expect(wrapper.get('[data-testid="fleet-applied-hk-longhua-zz-01"]').text()).toBe('第 3 版')
    expect(wrapper.get('[data-testid="fleet-applied-hk-longhua-zz-01"]').attributes('data-version')).toBe('3')
    expect(wrapper.get('[data-testid="fleet-applied-hk-longhua-qh-01"]').text()).toBe('本机配置')

    const printer = wrapper.get('[data-testid="fleet-device-hk-longhua-qh-01-ticket_printer"]')
    expect(printer.text()).toBe('取号打印机：缺纸')
    expect(printer.classes()).toContain('tone-bad')
    expect(printer.attributes('data-status')).toBe('paper_out')
    expect(wrapper.get('[data-testid="fleet-device-hk-longhua-zz-01-id_reader"]').classes()).toContain('tone-ok')

    const qh = wrapper.get('[data-testid="fleet-row-hk-longhua-qh-01"]')
    expect(qh.get('[data-testid="fleet-fault-hk-longhua-qh-01-paper_out"]').text()).toBe('缺纸')
    expect(qh.get('[data-testid="fleet-fault-hk-longhua-qh-01-device_failing"]').classes()).toContain('tone-bad')
    expect(qh.get('[data-testid="fleet-paper-hk-longhua-qh-01"]').text()).toBe('缺纸')
    expect(wrapper.get('[data-testid="fleet-fault-hk-meilan-zz-01-offline"]').text()).toBe('离线')
    expect(wrapper.get('[data-testid="fleet-fault-hk-meilan-zz-01-profile_refused"]').text()).toBe('配置被拒绝')
    expect(wrapper.find('[data-testid^="fleet-fault-hk-longhua-zz-01-"]').exists()).toBe(false)

    const first = wrapper.get('[data-testid="fleet-row-hk-longhua-zz-01"]')
    expect(first.get('[data-testid="fleet-online-hk-longhua-zz-01"]').attributes('data-online')).toBe('true')
    expect(first.text()).toContain('可用 50 GB / 共 78.1 GB')
    expect(first.text()).toContain('0.1.0')
    expect(first.text()).toContain('自助服务')
    const meilan = wrapper.get('[data-testid="fleet-row-hk-meilan-zz-01"]')
    expect(meilan.get('[data-testid="fleet-online-hk-meilan-zz-01"]').attributes('data-online')).toBe('false')
    expect(meilan.text()).toContain('心跳：42分钟前')
    expect(wrapper.get('[data-testid="fleet-row-hk-meilan-qh-01"]').text()).toContain('心跳：从未')
  })

  it('filters by hall, mode, faults and id/label text', async () => {
    const { wrapper } = await mountView(FleetTerminals, fleetBackend())
    await wrapper.get('[data-testid="fleet-filter-hall"]').setValue('hk-meilan')
    expect(ids(wrapper)).toEqual(['hk-meilan-zz-01', 'hk-meilan-qh-01'])
    await wrapper.get('[data-testid="fleet-filter-mode"]').setValue('queue-ticket')
    expect(ids(wrapper)).toEqual(['hk-meilan-qh-01'])
    await wrapper.get('[data-testid="fleet-filter-faulty"]').setValue(true)
    expect(ids(wrapper)).toEqual([])
    expect(wrapper.get('[data-testid="fleet-empty"]').text()).toBe('没有符合筛选条件的终端')
    await wrapper.get('[data-testid="fleet-filter-hall"]').setValue('')
    await wrapper.get('[data-testid="fleet-filter-mode"]').setValue('')
    expect(ids(wrapper)).toEqual(['hk-longhua-qh-01', 'hk-meilan-zz-01'])
    await wrapper.get('[data-testid="fleet-filter-faulty"]').setValue(false)
    await wrapper.get('[data-testid="fleet-filter-text"]').setValue('美兰')
    expect(ids(wrapper)).toEqual(['hk-meilan-zz-01', 'hk-meilan-qh-01'])
    await wrapper.get('[data-testid="fleet-filter-text"]').setValue('ZZ-01')
    expect(ids(wrapper)).toEqual(['hk-longhua-zz-01', 'hk-meilan-zz-01'])
  })

  it('shows recent errors and the refused profile when a row is expanded', async () => {
    const { wrapper } = await mountView(FleetTerminals, fleetBackend(), { locale: 'en' })
    expect(wrapper.find('[data-testid="fleet-errors-hk-longhua-qh-01"]').exists()).toBe(false)
    await wrapper.get('[data-testid="fleet-expand-hk-longhua-qh-01"]').trigger('click')
    const errors = wrapper.get('[data-testid="fleet-errors-hk-longhua-qh-01"]')
    expect(errors.text()).toContain('printer.paper_out')
    // Translated by its code; the backend's own words only when the code is unknown.
    expect(errors.text()).toContain('The printer is out of paper')
    await wrapper.get('[data-testid="fleet-expand-hk-meilan-zz-01"]').trigger('click')
    const refused = wrapper.get('[data-testid="fleet-errors-hk-meilan-zz-01"]')
    expect(refused.get('[data-testid="fleet-refused"]').text()).toBe('The terminal refused version 3: line 3: bad mode')
    expect(refused.text()).toContain('No recent errors')
    await wrapper.get('[data-testid="fleet-expand-hk-longhua-qh-01"]').trigger('click')
    expect(wrapper.find('[data-testid="fleet-errors-hk-longhua-qh-01"]').exists()).toBe(false)
  })

  it('reloads every 5 seconds while shown and stops when unmounted', async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    const { wrapper } = await mountView(FleetTerminals, backend)
    expect(backend.fleetTerminals).toHaveBeenCalledTimes(1)
    backend.fleetTerminals.mockResolvedValue({
      offline_after_minutes: 5,
      terminals: [makeFleetTerminal({ applied: { release_id: 'rel-4', version: 4 } })],
    })
    await vi.advanceTimersByTimeAsync(5000)
    await flushPromises()
    expect(backend.fleetTerminals).toHaveBeenCalledTimes(2)
    expect(wrapper.get('[data-testid="fleet-applied-hk-longhua-zz-01"]').text()).toBe('第 4 版')
    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(15_000)
    expect(backend.fleetTerminals).toHaveBeenCalledTimes(2)
  })

  it('lists a terminal known only from its enrollment (no heartbeat yet)', async () => {
    const backend = fleetBackend()
    backend.fleetTerminals.mockResolvedValue({
      offline_after_minutes: 5,
      terminals: [
        makeFleetTerminal({ id: 'new-01', mode: null, label: null, software_version: null, online: false, last_seen: null, faults: ['offline'] }),
      ],
    })
    const { wrapper } = await mountView(FleetTerminals, backend)
    const row = wrapper.get('[data-testid="fleet-row-new-01"]')
    expect(row.findAll('td').map((td) => td.text()).slice(1, 2)).toEqual(['未知'])
    expect(row.text()).toContain('心跳：从未')
    await wrapper.get('[data-testid="fleet-filter-mode"]').setValue('')
    await wrapper.get('[data-testid="fleet-filter-text"]').setValue('new')
    expect(ids(wrapper)).toEqual(['new-01'])
  })

  it('shows a load failure translated', async () => {
    const backend = fleetBackend()
    backend.fleetTerminals.mockRejectedValue(new BackendError('fleet.server_unreachable', 'connection refused'))
    const { wrapper } = await mountView(FleetTerminals, backend)
    expect(wrapper.get('[data-testid="fleet-error"]').text()).toBe('无法加载终端列表：无法连接同步服务器')
  })
})

describe('profile form model', () => {
  const fields = profileFields(PROFILE_SCHEMA)
  const field = (section: string, key: string): ProfileField => {
    const f = fields.find((x) => x.section === section && x.key === key)
    if (!f) throw new Error(`no field ${section}.${key}`)
    return f
  }

  it('derives fields from $refs, nullable types, enums, ranges and string lists; skips tables', () => {
    expect(fields.map((f) => `${f.section}.${f.key}:${f.kind}`)).toEqual([
      'ui.languages:list',
      'ui.default_language:string',
      'ui.elder_mode:boolean',
      'ui.idle_timeout_secs:integer',
      'ui.theme:string',
      'queue.elderly_priority_age:integer',
      'queue.window:integer',
      'queue.recalls_before_no_show:integer',
      'queue.cut:enum',
      'sync.server:string',
      'sync.interval_ms:integer',
      'lockdown.admin_pin_hash:string',
      'lockdown.block_shortcuts:boolean',
    ])
    expect(field('ui', 'idle_timeout_secs')).toMatchObject({ min: 10, max: 3600, defaultValue: 120, optional: true })
    expect(field('queue', 'window')).toMatchObject({ min: 1, max: 999, optional: true })
    expect(field('queue', 'cut').options).toEqual(['full', 'partial', 'none'])
    expect(field('sync', 'server').optional).toBe(false)
    expect(field('sync', 'interval_ms')).toMatchObject({ defaultValue: 1000, optional: true })
  })

  it('reads and writes values in the TOML, removing cleared optional keys', () => {
    const parsed = parseToml(PROFILE_TOML)
    if (!('doc' in parsed)) throw new Error('fixture does not parse')
    const idle = field('ui', 'idle_timeout_secs')
    expect(readField(parsed.doc, idle)).toBe(120)
    const text = writeField(parsed.doc, idle, fieldValue(idle, '300'))
    expect(text).toContain('idle_timeout_secs = 300')
    expect(text).toContain('id = "hk-longhua-zz-01"')
    const langs = field('ui', 'languages')
    expect(fieldValue(langs, 'zh-CN， en ,ug')).toEqual(['zh-CN', 'en', 'ug'])
    expect(fieldValue(idle, '')).toBeUndefined()
    expect(fieldValue(idle, '12.5')).toBe('12.5')
    const again = parseToml(writeField(parsed.doc, idle, undefined))
    expect('doc' in again && (again.doc.ui as Record<string, unknown>).idle_timeout_secs).toBe(undefined)
    const block = field('lockdown', 'block_shortcuts')
    expect(writeField(parsed.doc, block, fieldValue(block, true))).toContain('[lockdown]\nblock_shortcuts = true')
  })

  it('gives the position of a TOML syntax error', () => {
    expect(parseToml('mode = \n')).toMatchObject({ error: { line: 1 } })
  })
})

describe('profile authoring', () => {
  async function mountProfiles(backend: FakeBackend, locale = 'zh-CN') {
    const mounted = await mountView(FleetProfiles, backend, { locale })
    await vi.advanceTimersByTimeAsync(VALIDATE_DELAY_MS)
    await flushPromises()
    return mounted
  }

  it('starts from the example profile of the mode when the group has no release', async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    const { wrapper } = await mountProfiles(backend)
    const text = (wrapper.get('[data-testid="profile-toml"]').element as HTMLTextAreaElement).value
    expect(text).toContain('mode = "self-service"')
    expect(text).toContain('[terminal]')
    expect(wrapper.get('[data-testid="profile-base"]').text()).toContain('基于「自助服务」示例配置')
    expect(backend.fleetValidateProfile).toHaveBeenCalledWith(text)
    expect(wrapper.get('[data-testid="profile-valid"]').text()).toBe('配置有效')

    await wrapper.get('[data-testid="profile-group-mode"]').setValue('queue-ticket')
    const next = (wrapper.get('[data-testid="profile-toml"]').element as HTMLTextAreaElement).value
    expect(next).toContain('mode = "queue-ticket"')
  })

  it("starts from the group's latest release and fills the form from it", async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    backend.fleetRollouts.mockResolvedValue([makeRollout({ release_id: 'rel-4', version: 4 }), makeRollout()])
    const { wrapper } = await mountProfiles(backend)
    await wrapper.get('[data-testid="profile-group-hall"]').setValue('hk-longhua')
    expect((wrapper.get('[data-testid="profile-toml"]').element as HTMLTextAreaElement).value).toBe(PROFILE_TOML)
    expect(wrapper.get('[data-testid="profile-base"]').text()).toContain('第 4 版')
    const idle = wrapper.get('[data-testid="profile-field-ui-idle_timeout_secs"]')
    expect((idle.element as HTMLInputElement).value).toBe('120')
    expect(idle.attributes('min')).toBe('10')
    expect(idle.attributes('max')).toBe('3600')
    expect((wrapper.get('[data-testid="profile-field-ui-languages"]').element as HTMLInputElement).value).toBe('zh-CN, en')

    await idle.setValue('600')
    await idle.trigger('change')
    const text = (wrapper.get('[data-testid="profile-toml"]').element as HTMLTextAreaElement).value
    expect(text).toContain('idle_timeout_secs = 600')
  })

  it('validates as you type (debounced), lists errors with line:column and keeps Publish disabled while invalid', async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    const { wrapper } = await mountProfiles(backend, 'en')
    const publish = wrapper.get('[data-testid="profile-publish"]')
    expect(publish.attributes('disabled')).toBeUndefined()

    backend.fleetValidateProfile.mockResolvedValue([
      { line: 3, column: 8, code: 'profile.unknown_mode', message: 'unknown mode "kiosk"' },
      { line: 12, column: 1, code: 'profile.range', message: 'idle_timeout_secs must be 10 to 3600' },
    ])
    const calls = backend.fleetValidateProfile.mock.calls.length
    const editor = wrapper.get('[data-testid="profile-toml"]')
    await editor.setValue('schema_version = 1\n')
    await editor.setValue('schema_version = 1\nmode = "kiosk"\n')
    // Disabled at once: the text in the editor has not been validated yet.
    expect(publish.attributes('disabled')).toBeDefined()
    await vi.advanceTimersByTimeAsync(VALIDATE_DELAY_MS - 1)
    expect(backend.fleetValidateProfile.mock.calls.length).toBe(calls)
    await vi.advanceTimersByTimeAsync(1)
    await flushPromises()
    // Only the last text went out.
    expect(backend.fleetValidateProfile.mock.calls.length).toBe(calls + 1)
    expect(backend.fleetValidateProfile).toHaveBeenLastCalledWith('schema_version = 1\nmode = "kiosk"\n')
    const errors = wrapper.get('[data-testid="profile-errors"]')
    expect(errors.findAll('[data-testid="profile-error"]').map((li) => li.text())).toEqual([
      'Line 3, column 8 unknown mode "kiosk" profile.unknown_mode',
      'Line 12, column 1 idle_timeout_secs must be 10 to 3600 profile.range',
    ])
    expect(publish.attributes('disabled')).toBeDefined()
    await publish.trigger('click')
    expect(backend.fleetPublish).not.toHaveBeenCalled()

    backend.fleetValidateProfile.mockResolvedValue([])
    await editor.setValue(PROFILE_TOML)
    await vi.advanceTimersByTimeAsync(VALIDATE_DELAY_MS)
    await flushPromises()
    expect(wrapper.find('[data-testid="profile-errors"]').exists()).toBe(false)
    expect(publish.attributes('disabled')).toBeUndefined()
  })

  it('keeps Publish disabled when the validator cannot be reached', async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    backend.fleetValidateProfile.mockRejectedValue(new BackendError('client.unreachable', 'Failed to fetch'))
    const { wrapper } = await mountProfiles(backend)
    expect(wrapper.get('[data-testid="profile-validate-error"]').text()).toBe('无法校验：无法连接本机办事服务')
    expect(wrapper.get('[data-testid="profile-publish"]').attributes('disabled')).toBeDefined()
  })

  it('publishes the text for the chosen group and lists the new rollout', async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    const created = makeRollout({ release_id: 'rel-9', version: 9, group: { hall_id: 'hk-meilan', mode: 'queue-ticket', tags: ['floor-1', 'east'] } })
    backend.fleetPublish.mockResolvedValue(created)
    const { wrapper } = await mountProfiles(backend)
    await wrapper.get('[data-testid="profile-group-hall"]').setValue('hk-meilan')
    await wrapper.get('[data-testid="profile-group-mode"]').setValue('queue-ticket')
    await wrapper.get('[data-testid="profile-group-tags"]').setValue('floor-1, east')
    await vi.advanceTimersByTimeAsync(VALIDATE_DELAY_MS)
    await flushPromises()
    const text = (wrapper.get('[data-testid="profile-toml"]').element as HTMLTextAreaElement).value
    backend.fleetRollouts.mockResolvedValue([created])
    await wrapper.get('[data-testid="profile-publish"]').trigger('click')
    await flushPromises()
    expect(backend.fleetPublish).toHaveBeenCalledWith({ hall_id: 'hk-meilan', mode: 'queue-ticket', tags: ['floor-1', 'east'] }, text)
    expect(wrapper.get('[data-testid="profile-published"]').text()).toBe('已发布第 9 版，先下发到 5% 的终端')
    expect(wrapper.find('[data-testid="rollout-rel-9"]').exists()).toBe(true)
  })

  it('shows a refused publish translated', async () => {
    vi.useFakeTimers()
    const backend = fleetBackend()
    backend.fleetPublish.mockRejectedValue(new BackendError('fleet.no_signing_key', 'no key'))
    const { wrapper } = await mountProfiles(backend)
    await wrapper.get('[data-testid="profile-publish"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="profile-publish-error"]').text()).toBe('发布失败：本管理终端没有配置签名密钥')
  })
})

describe('rollouts', () => {
  it('shows each rollout with its stage, state, counts and halt reason', async () => {
    const backend = fleetBackend()
    backend.fleetRollouts.mockResolvedValue([
      makeRollout({ release_id: 'rel-4', version: 4, state: 'halted', failed_count: 2, halt_reason: '2 terminals refused it' }),
      makeRollout({ state: 'complete', stage_percent: 100, applied_count: 10 }),
    ])
    const { wrapper } = await mountView(FleetProfiles, backend)
    const table = wrapper.get('[data-testid="rollouts-table"]')
    const halted = table.get('[data-testid="rollout-rel-4"]')
    expect(halted.get('[data-testid="rollout-state-rel-4"]').text()).toBe('已暂停')
    expect(halted.get('[data-testid="rollout-halt-rel-4"]').text()).toBe('暂停原因：2 terminals refused it')
    expect(halted.get('[data-testid="rollout-counts-rel-4"]').text()).toBe('已应用 1，失败 2，目标 10')
    expect(halted.text()).toContain('hk-longhua · 自助服务')
    expect(halted.find('[data-testid="rollout-advance-rel-4"]').exists()).toBe(false)
    expect(halted.find('[data-testid="rollout-rollback-rel-4"]').exists()).toBe(true)
    const done = table.get('[data-testid="rollout-rel-3"]')
    expect(done.get('[data-testid="rollout-stage-rel-3"]').text()).toBe('100%')
    expect(done.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('10')
  })

  it('advances a stage after the confirm step', async () => {
    const backend = fleetBackend()
    backend.fleetRollouts.mockResolvedValue([makeRollout()])
    backend.fleetAdvance.mockResolvedValue(makeRollout({ stage_percent: 20 }))
    const { wrapper } = await mountView(FleetProfiles, backend)
    const advance = wrapper.get('[data-testid="rollout-advance-rel-3"]')
    expect(advance.text()).toBe('推进到 20%')
    await advance.trigger('click')
    expect(wrapper.get('[data-testid="rollout-confirm"]').text()).toContain('将第 3 版从 5% 的终端推进到 20%？')
    await wrapper.get('[data-testid="rollout-confirm-no"]').trigger('click')
    expect(wrapper.find('[data-testid="rollout-confirm"]').exists()).toBe(false)
    expect(backend.fleetAdvance).not.toHaveBeenCalled()

    await advance.trigger('click')
    backend.fleetRollouts.mockResolvedValue([makeRollout({ stage_percent: 20 })])
    await wrapper.get('[data-testid="rollout-confirm-yes"]').trigger('click')
    await flushPromises()
    expect(backend.fleetAdvance).toHaveBeenCalledWith('rel-3')
    expect(wrapper.get('[data-testid="rollout-stage-rel-3"]').text()).toBe('20%')
    expect(wrapper.get('[data-testid="rollout-advance-rel-3"]').text()).toBe('推进到 100%')
  })

  it('rolls back after the confirm step and shows a refusal', async () => {
    const backend = fleetBackend()
    backend.fleetRollouts.mockResolvedValue([makeRollout({ previous_release_id: null })])
    backend.fleetRollback.mockRejectedValueOnce(new BackendError('fleet.not_rolling', 'already rolled back'))
    backend.fleetRollback.mockResolvedValueOnce(makeRollout({ state: 'rolled_back' }))
    const { wrapper } = await mountView(FleetProfiles, backend, { locale: 'en' })
    await wrapper.get('[data-testid="rollout-rollback-rel-3"]').trigger('click')
    expect(wrapper.get('[data-testid="rollout-confirm"]').text()).toContain('every terminal returns to its installed profile')
    await wrapper.get('[data-testid="rollout-confirm-yes"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="rollout-error-rel-3"]').text()).toBe('This rollout is no longer in progress')

    await wrapper.get('[data-testid="rollout-rollback-rel-3"]').trigger('click')
    backend.fleetRollouts.mockResolvedValue([makeRollout({ state: 'rolled_back' })])
    await wrapper.get('[data-testid="rollout-confirm-yes"]').trigger('click')
    await flushPromises()
    expect(backend.fleetRollback).toHaveBeenCalledTimes(2)
    expect(backend.fleetRollback).toHaveBeenLastCalledWith('rel-3')
    expect(wrapper.get('[data-testid="rollout-state-rel-3"]').text()).toBe('Rolled back')
    expect(wrapper.find('[data-testid="rollout-rollback-rel-3"]').exists()).toBe(false)
  })
})

describe('admin console tabs', () => {
  it('gives a fleet administrator the fleet tabs only', async () => {
    const backend = fleetBackend()
    backend.sessionValue = makeSession({ roles: ['fleet-admin'], permissions: ['view-status', 'manage-fleet'] })
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.find('[data-testid="admin-tab-hall"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="fleet-table"]').exists()).toBe(true)
    expect(backend.kpi).not.toHaveBeenCalled()
    await wrapper.get('[data-testid="admin-tab-profiles"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="profile-toml"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="rollouts-table"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="fleet-table"]').exists()).toBe(false)
  })

  it('starts a hall manager with fleet rights on the hall tab', async () => {
    const backend = fleetBackend()
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.get('[data-testid="admin-tab-hall"]').attributes('aria-selected')).toBe('true')
    expect(wrapper.find('[data-testid="hall-kpi"]').exists()).toBe(true)
    await wrapper.get('[data-testid="admin-tab-fleet"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="hall-kpi"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="fleet-row-hk-longhua-zz-01"]').exists()).toBe(true)
  })

  it('shows no tabs to a hall manager without fleet rights', async () => {
    const backend = fleetBackend()
    backend.sessionValue = makeSession({ permissions: ['view-status', 'manage-hall', 'view-hall-kpi'] })
    const { wrapper } = await mountView(AdminView, backend)
    expect(wrapper.find('[data-testid="admin-tab-fleet"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="hall-kpi"]').exists()).toBe(true)
    expect(backend.fleetTerminals).not.toHaveBeenCalled()
  })
})

describe('fleet calls on both transports', () => {
  function json(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
  }

  it('HTTP: the documented routes, with the staff token', async () => {
    const rollout = makeRollout({ release_id: 'rel/1' })
    const fetch = vi.fn(async (url: string, init: RequestInit) => {
      const path = new URL(url).pathname
      if (path === '/api/login') return json({ ...makeSession(), token: 'tok-7' })
      if (path === '/api/fleet/terminals') return json({ offline_after_minutes: 5, terminals: makeFleet() })
      if (path === '/api/fleet/rollouts') return json([rollout])
      if (path === '/api/fleet/profile/validate') return json({ errors: [{ line: 1, column: 2, code: 'c', message: 'm' }] })
      if (path === '/api/fleet/profile/schema') return json(PROFILE_SCHEMA)
      if (path === '/api/fleet/releases') return json(rollout, 201)
      if (path.endsWith('/advance') || path.endsWith('/rollback')) return json(rollout)
      throw new Error(`unexpected ${init.method} ${path}`)
    })
    const backend = new HttpBackend({ baseUrl: 'http://hall.local', fetch: fetch as unknown as typeof globalThis.fetch })
    await backend.login('fa1', 'pw')
    await expect(backend.fleetTerminals()).resolves.toMatchObject({ offline_after_minutes: 5 })
    await expect(backend.fleetRollouts()).resolves.toEqual([rollout])
    await expect(backend.fleetValidateProfile('x = 1')).resolves.toEqual([{ line: 1, column: 2, code: 'c', message: 'm' }])
    await expect(backend.fleetProfileSchema()).resolves.toEqual(PROFILE_SCHEMA)
    const group = { hall_id: null, mode: 'window' as const, tags: ['a'] }
    await expect(backend.fleetPublish(group, 'toml')).resolves.toEqual(rollout)
    await backend.fleetAdvance('rel/1')
    await backend.fleetRollback('rel/1')
    const calls = fetch.mock.calls.slice(1).map(([url, init]) => [
      init.method,
      url,
      init.body === undefined ? undefined : JSON.parse(init.body as string),
      (init.headers as Record<string, string>).Authorization,
    ])
    expect(calls).toEqual([
      ['GET', 'http://hall.local/api/fleet/terminals', undefined, 'Bearer tok-7'],
      ['GET', 'http://hall.local/api/fleet/rollouts', undefined, 'Bearer tok-7'],
      ['POST', 'http://hall.local/api/fleet/profile/validate', { toml: 'x = 1' }, 'Bearer tok-7'],
      ['GET', 'http://hall.local/api/fleet/profile/schema', undefined, 'Bearer tok-7'],
      ['POST', 'http://hall.local/api/fleet/releases', { group, profile_toml: 'toml' }, 'Bearer tok-7'],
      ['POST', 'http://hall.local/api/fleet/rollouts/rel%2F1/advance', {}, 'Bearer tok-7'],
      ['POST', 'http://hall.local/api/fleet/rollouts/rel%2F1/rollback', {}, 'Bearer tok-7'],
    ])
  })

  it('HTTP: a malformed answer is a client.bad_response', async () => {
    const backend = new HttpBackend({ baseUrl: 'http://x', fetch: async () => json({ terminals: 'no' }) })
    await expect(backend.fleetTerminals()).rejects.toMatchObject({ code: 'client.bad_response' })
  })

  it('Tauri: the fleet commands with the token first and camelCase arguments', async () => {
    const rollout = makeRollout()
    const invoke = vi.fn<InvokeFn>(async (cmd) => {
      if (cmd === 'login') return makeSession({ token: 'tok-8' })
      if (cmd === 'fleet_terminals') return { offline_after_minutes: 5, terminals: [] }
      if (cmd === 'fleet_rollouts') return []
      if (cmd === 'fleet_validate_profile') return { errors: [] }
      if (cmd === 'fleet_profile_schema') return PROFILE_SCHEMA
      return rollout
    })
    const backend = new TauriBackend({ invoke, listen: vi.fn() })
    await backend.login('fa1', 'pw')
    const group = { hall_id: 'hk-longhua', mode: 'self-service' as const, tags: [] }
    await backend.fleetTerminals()
    await backend.fleetRollouts()
    await expect(backend.fleetValidateProfile('t')).resolves.toEqual([])
    await backend.fleetProfileSchema()
    await backend.fleetPublish(group, 'toml')
    await backend.fleetAdvance('rel-3')
    await backend.fleetRollback('rel-3')
    expect(invoke.mock.calls.slice(1)).toEqual([
      ['fleet_terminals', { token: 'tok-8' }],
      ['fleet_rollouts', { token: 'tok-8' }],
      ['fleet_validate_profile', { toml: 't', token: 'tok-8' }],
      ['fleet_profile_schema', { token: 'tok-8' }],
      ['fleet_publish', { group, profileToml: 'toml', token: 'tok-8' }],
      ['fleet_advance', { releaseId: 'rel-3', token: 'tok-8' }],
      ['fleet_rollback', { releaseId: 'rel-3', token: 'tok-8' }],
    ])
  })
})
