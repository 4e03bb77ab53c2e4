// Catalogue, case and progress fixtures for the application flow tests.

import type {
  ApplicantCard,
  Catalogue,
  CaseSummary,
  CaseView,
  CustomerCase,
  CustomerScreen,
  Item,
  ProgressView,
} from '../src/backend/types'

export function makeItem(overrides: Partial<Item> = {}): Item {
  return {
    code: 'ID-RENEW',
    name: '居民身份证换领',
    pinyin: 'jmsfzhl',
    department: '公安局',
    level: '市级',
    category: 'personal',
    common: true,
    bookable: false,
    online_payment: false,
    courier: true,
    kiosk: true,
    statutory_days: 60,
    promised_days: 15,
    fees: '20 元',
    guide: {
      overview: '有效期满换领居民身份证',
      legal_basis: '《居民身份证法》第十一条',
      conditions: '证件有效期届满或即将届满',
      process: ['提交申请', '受理', '制证', '领证'],
      place: '一楼 3 号窗口',
      hours: '周一至周五 9:00-17:00',
      faq: [{ question: '可以代办吗？', answer: '不可以' }],
    },
    questions: [
      {
        id: 'reason',
        text: '换领原因？',
        options: [
          { id: 'expired', label: '有效期满' },
          { id: 'damaged', label: '证件损坏' },
        ],
        when: [],
      },
      {
        id: 'damage_kind',
        text: '损坏程度？',
        options: [
          { id: 'partial', label: '部分损坏' },
          { id: 'full', label: '无法识别' },
        ],
        when: [{ question: 'reason', option: 'damaged' }],
      },
      {
        id: 'urgent',
        text: '是否加急？',
        options: [
          { id: 'yes', label: '是' },
          { id: 'no', label: '否' },
        ],
        when: [],
      },
    ],
    materials: [
      {
        id: 'old_card',
        name: '原居民身份证',
        medium: 'original',
        copies: 1,
        requirement: 'mandatory',
        group: null,
        review_points: ['证件真实有效'],
        kiosk_capturable: true,
        e_certificate: null,
        when: [],
      },
      {
        id: 'damage_photo',
        name: '损坏情况说明',
        medium: 'copy',
        copies: 2,
        requirement: 'optional',
        group: null,
        review_points: [],
        kiosk_capturable: false,
        e_certificate: null,
        when: [{ question: 'reason', option: 'damaged' }],
      },
      {
        id: 'hukou',
        name: '户口簿',
        medium: 'electronic',
        copies: 1,
        requirement: 'one_of',
        group: 'residence',
        review_points: [],
        kiosk_capturable: true,
        e_certificate: null,
        when: [],
      },
    ],
    form: [
      { field: 'name', required: true, when: [] },
      { field: 'id_number', required: true, when: [] },
      { field: 'phone', required: true, when: [] },
      { field: 'damage_note', required: false, when: [{ question: 'reason', option: 'damaged' }] },
    ],
    withdrawn: false,
    ...overrides,
  }
}

export function makeCatalogue(overrides: Partial<Catalogue> = {}): Catalogue {
  return {
    version: 3,
    published_at_ms: 1_763_800_000_000,
    fields: [
      { code: 'name', label: '姓名', kind: 'text', choices: [], prefill: 'card_name', max_len: 40 },
      { code: 'id_number', label: '身份证号', kind: 'id_number', choices: [], prefill: 'card_id_number', max_len: 18 },
      { code: 'phone', label: '联系电话', kind: 'phone', choices: [], prefill: null, max_len: 11 },
      { code: 'damage_note', label: '损坏说明', kind: 'text', choices: [], prefill: null, max_len: 200 },
    ],
    items: [
      makeItem(),
      makeItem({
        code: 'BIZ-LIC',
        name: '营业执照变更',
        pinyin: 'yyzzbg',
        category: 'legal',
        common: false,
        department: '市场监管局',
        kiosk: false,
      }),
    ],
    ...overrides,
  }
}

export function makeCase(overrides: Partial<CaseView> = {}): CaseView {
  return {
    id: 'case-1',
    number: 'LS20261124000001',
    provisional_number: 'LS20261124000001',
    official_number: null,
    item_code: 'ID-RENEW',
    item_name: '居民身份证换领',
    catalogue_version: 3,
    channel: 'kiosk',
    status: 'draft',
    applicant_name_masked: '张*三',
    applicant_id_masked: '4601**********1234',
    answers: {},
    form: { name: '张三丰' },
    materials: [
      {
        id: 'old_card',
        name: '原居民身份证',
        medium: 'original',
        copies: 1,
        requirement: 'mandatory',
        review_points: [],
        kiosk_capturable: true,
        pages: 0,
        paper_received: false,
        reviewed: false,
        collected: false,
      },
    ],
    missing_materials: ['old_card'],
    missing_fields: [],
    collection: { method: 'window' },
    handover: null,
    decision: null,
    history: [{ status: 'draft', at_ms: 1_763_950_000_000, actor_name: '自助终端', hall: 'HK-01', note: '' }],
    notices: [],
    progress_url: 'https://banshi.example.gov.cn/progress/LS20261124000001',
    rated: false,
    signed: false,
    synced: false,
    created_at_ms: 1_763_950_000_000,
    ...overrides,
  }
}

export function makeProgress(overrides: Partial<ProgressView> = {}): ProgressView {
  return {
    number: 'LS20261124000001',
    provisional_number: 'LS20261124000001',
    official_number: null,
    item_name: '居民身份证换领',
    status: 'correction_requested',
    promised_days: 15,
    history: [
      { status: 'submitted', at_ms: 1_763_950_000_000, actor_name: '自助终端', hall: 'HK-01', note: '' },
      { status: 'correction_requested', at_ms: 1_763_960_000_000, actor_name: '王芳', hall: 'HK-01', note: '照片不清晰' },
    ],
    missing_materials: ['原居民身份证'],
    deadline: '2026-12-01',
    ...overrides,
  }
}

export function makeCaseSummary(overrides: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id: 'case-1',
    number: 'LS20261124000001',
    item_name: '居民身份证换领',
    status: 'draft',
    applicant_name_masked: '张*丰',
    updated_at_ms: 1_763_950_000_000,
    ...overrides,
  }
}

/** The card read at a window: held by the terminal under the token, the person's cases newest first. */
export function makeApplicantCard(overrides: Partial<ApplicantCard> = {}): ApplicantCard {
  return {
    token: 'card-tok-1',
    name_masked: '张*丰',
    id_number_masked: '4601**********1234',
    cases: [
      makeCaseSummary({ id: 'case-2', number: 'LS20261124000002', status: 'handed_over' }),
      makeCaseSummary({ id: 'case-1', number: 'LS20261120000007', status: 'accepted', updated_at_ms: 1_763_600_000_000 }),
    ],
    ...overrides,
  }
}

/** The customer screen between applicants: window 5's nameplate with the clerk signed in. */
export function makeNameplate(
  overrides: Partial<Extract<CustomerScreen, { screen: 'nameplate' }>> = {},
): CustomerScreen {
  return {
    screen: 'nameplate',
    window: 5,
    label: '5号窗口',
    outlet: '海口市龙华区政务服务中心',
    staff_id: 's001',
    staff_name: '王芳',
    paused: false,
    ...overrides,
  }
}

/** The customer screen asking the applicant to confirm and sign case-1. */
export function makeConfirmScreen(overrides: Partial<CustomerCase> = {}): CustomerScreen {
  return {
    screen: 'confirm',
    offer: 'offer-1',
    case: {
      number: 'LS20261124000001',
      item_name: '居民身份证换领',
      fields: [
        { label: '申请人姓名', value: '张三丰' },
        { label: '公民身份号码', value: '4601**********1234' },
        { label: '联系电话', value: '13800138000' },
      ],
      materials: [{ name: '居民身份证', pages: 1, paper_received: true }],
      collection: { method: 'window' },
      signed: false,
      ...overrides,
    },
  }
}
