// Fleet fixtures: terminals as the sync server reports them, rollouts, and a profile JSON Schema in the shape
// schemars 1.x writes for kiosk-profiles' model (`$defs`, `$ref`, nullable options as type lists or anyOf with
// null, documented unit enums as oneOf of const, ranges as minimum/maximum, unsigned formats).

import type { FleetTerminal, JsonSchema, RolloutView } from '../src/backend/types'

const MINUTE = 60_000

/** An RFC 3339 time `minutes` before now (the fleet view shows times relative to its load). */
export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * MINUTE).toISOString()
}

export function makeFleetTerminal(overrides: Partial<FleetTerminal> = {}): FleetTerminal {
  return {
    id: 'hk-longhua-zz-01',
    hall_id: 'hk-longhua',
    mode: 'self-service',
    label: '1号自助终端',
    tags: ['floor-1'],
    online: true,
    last_seen: minutesAgo(0.2),
    last_sync: minutesAgo(1),
    software_version: '0.1.0',
    applied: { release_id: 'rel-3', version: 3 },
    profile_refused: null,
    devices: [
      { class: 'ticket_printer', status: 'ok', detail: null },
      { class: 'id_reader', status: 'ok', detail: null },
    ],
    paper: 'ok',
    disk_free_mb: 51_234,
    disk_total_mb: 80_000,
    recent_errors: [],
    faults: [],
    ...overrides,
  }
}

/** Four terminals in two halls and two modes; two of them faulty. */
export function makeFleet(): FleetTerminal[] {
  return [
    makeFleetTerminal(),
    makeFleetTerminal({
      id: 'hk-longhua-qh-01',
      mode: 'queue-ticket',
      label: '1号取号机',
      applied: null,
      devices: [{ class: 'ticket_printer', status: 'paper_out', detail: 'paper end sensor' }],
      paper: 'out',
      recent_errors: [{ at: minutesAgo(3), code: 'printer.paper_out', message: 'ticket printer is out of paper' }],
      faults: ['paper_out', 'device_failing'],
    }),
    makeFleetTerminal({
      id: 'hk-meilan-zz-01',
      hall_id: 'hk-meilan',
      label: '美兰自助终端',
      online: false,
      last_seen: minutesAgo(42),
      applied: { release_id: 'rel-2', version: 2 },
      profile_refused: { release_id: 'rel-3', version: 3, code: 'profile.invalid', message: 'line 3: bad mode' },
      faults: ['offline', 'profile_refused'],
    }),
    makeFleetTerminal({
      id: 'hk-meilan-qh-01',
      hall_id: 'hk-meilan',
      mode: 'queue-ticket',
      label: '美兰取号机',
      tags: [],
      last_seen: null,
      last_sync: null,
      applied: null,
      devices: [],
      disk_free_mb: null,
      disk_total_mb: null,
      paper: 'unknown',
    }),
  ]
}

export const PROFILE_TOML = `schema_version = 1
mode = "self-service"

[terminal]
id = "hk-longhua-zz-01"
label = "1号自助终端"
outlet = "海口市龙华区政务服务中心"
hall_id = "hk-longhua"
fault_hotline = "0898-66668888"

[ui]
languages = ["zh-CN", "en"]
idle_timeout_secs = 120
`

export function makeRollout(overrides: Partial<RolloutView> = {}): RolloutView {
  return {
    release_id: 'rel-3',
    group: { hall_id: 'hk-longhua', mode: 'self-service', tags: [] },
    version: 3,
    stage_percent: 5,
    state: 'rolling',
    target_count: 10,
    applied_count: 1,
    failed_count: 0,
    halt_reason: null,
    previous_release_id: 'rel-2',
    signer_key: '04ab12cd34ef5678901234567890',
    created_at: '2026-11-23T10:00:00Z',
    profile_toml: PROFILE_TOML,
    ...overrides,
  }
}

export const PROFILE_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Profile',
  description: 'A complete kiosk profile: what one terminal is and which devices it drives.',
  type: 'object',
  properties: {
    schema_version: { type: 'integer', format: 'uint32', minimum: 0 },
    mode: { $ref: '#/$defs/Mode' },
    terminal: { $ref: '#/$defs/TerminalIdentity' },
    ui: {
      $ref: '#/$defs/UiSettings',
      default: {
        languages: ['zh-CN', 'en'],
        default_language: 'zh-CN',
        elder_mode: false,
        voice_guidance: false,
        idle_timeout_secs: 120,
        theme: 'default',
      },
    },
    sync: { anyOf: [{ $ref: '#/$defs/SyncSettings' }, { type: 'null' }] },
    queue: { $ref: '#/$defs/QueueSettings' },
    lockdown: { $ref: '#/$defs/Lockdown' },
  },
  required: ['schema_version', 'mode', 'terminal'],
  additionalProperties: false,
  $defs: {
    Mode: {
      description: 'The run mode named by a profile.',
      oneOf: [
        { description: 'self-service kiosk', type: 'string', const: 'self-service' },
        { description: 'queue ticket machine', type: 'string', const: 'queue-ticket' },
        { description: 'window desk', type: 'string', const: 'window' },
      ],
    },
    TerminalIdentity: {
      type: 'object',
      properties: { id: { type: 'string' }, label: { type: 'string' } },
      required: ['id', 'label'],
    },
    UiSettings: {
      description: 'Languages, accessibility defaults and idle reset.',
      type: 'object',
      properties: {
        languages: { description: 'Enabled UI languages', type: 'array', items: { type: 'string' } },
        default_language: { type: 'string' },
        elder_mode: { description: 'Start sessions in elder mode', type: 'boolean' },
        idle_timeout_secs: {
          description: 'Seconds without input before the session is wiped',
          type: 'integer',
          format: 'uint32',
          minimum: 10,
          maximum: 3600,
        },
        theme: { type: 'string' },
      },
      additionalProperties: false,
    },
    SyncSettings: {
      type: 'object',
      properties: {
        server: { type: 'string' },
        interval_ms: { type: 'integer', format: 'uint64', minimum: 200, maximum: 3600000, default: 1000 },
      },
      required: ['server'],
    },
    QueueSettings: {
      type: 'object',
      properties: {
        categories: { type: 'array', items: { $ref: '#/$defs/QueueCategory' } },
        elderly_priority_age: { type: 'integer', format: 'uint8', minimum: 50, maximum: 100 },
        window: { type: ['integer', 'null'], format: 'uint32', minimum: 1, maximum: 999 },
        recalls_before_no_show: { type: 'integer', format: 'uint8', minimum: 0, maximum: 9 },
        cut: { $ref: '#/$defs/CutMode' },
      },
    },
    QueueCategory: {
      type: 'object',
      properties: { code: { type: 'string' } },
      required: ['code'],
    },
    CutMode: { type: 'string', enum: ['full', 'partial', 'none'] },
    Lockdown: {
      type: 'object',
      properties: {
        admin_pin_hash: { type: ['string', 'null'] },
        block_shortcuts: { type: 'boolean' },
      },
    },
  },
}
