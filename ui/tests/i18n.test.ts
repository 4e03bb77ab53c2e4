import { describe, expect, it } from 'vitest'
import en from '../src/i18n/en'
import zhCN from '../src/i18n/zh-CN'
import { createAppI18n, languageName, translateError } from '../src/i18n'
import { BackendError } from '../src/backend/errors'

type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}/${k}` : k
    if (typeof v === 'string') out.set(key, v)
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv)
  }
  return out
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('i18n messages', () => {
  const zh = flatten(zhCN as unknown as Tree)
  const enFlat = flatten(en as unknown as Tree)

  it('zh-CN and en have exactly the same keys', () => {
    expect([...enFlat.keys()].sort()).toEqual([...zh.keys()].sort())
  })

  it('has no empty strings', () => {
    for (const [k, v] of [...zh, ...enFlat]) expect(v.trim(), k).not.toBe('')
  })

  it('uses the same placeholders in both languages', () => {
    for (const [k, v] of zh) expect(placeholders(enFlat.get(k) ?? ''), k).toEqual(placeholders(v))
  })

  it('translates with fallback to zh-CN for locales without strings', () => {
    const i18n = createAppI18n('ug')
    expect(i18n.global.t('app.title')).toBe('办事大厅')
    i18n.global.locale.value = 'en'
    expect(i18n.global.t('app.title')).toBe('Service Hall')
  })

  it('pluralises people ahead', () => {
    const i18n = createAppI18n('en')
    const t = i18n.global.t
    expect(t('queue.peopleAhead', { n: 0 }, 0)).toBe('No one is ahead of you')
    expect(t('queue.peopleAhead', { n: 1 }, 1)).toBe('1 person is ahead of you')
    expect(t('queue.peopleAhead', { n: 5 }, 5)).toBe('5 people are ahead of you')
    i18n.global.locale.value = 'zh-CN'
    expect(t('queue.peopleAhead', { n: 5 }, 5)).toBe('前面还有 5 人等候')
  })

  it('translates errors by code and falls back to the message', () => {
    const i18n = createAppI18n('en')
    const get = (l: string) => i18n.global.getLocaleMessage(l)
    expect(translateError(get, 'en', new BackendError('queue.unknown_category', 'x'))).toBe(
      'There is no such service category',
    )
    expect(translateError(get, 'zh-CN', { code: 'queue.unknown_category', message: 'x' })).toBe('没有这个业务类别')
    expect(translateError(get, 'ug', { code: 'queue.unknown_category', message: 'x' })).toBe('没有这个业务类别')
    expect(translateError(get, 'en', { code: 'nobody.knows', message: 'raw text' })).toBe('raw text')
  })

  it('names languages in their own script', () => {
    expect(languageName('zh-CN')).toBe('中文')
    expect(languageName('en')).toBe('English')
    expect(languageName('ug')).toBe('ئۇيغۇرچە')
  })
})

describe('i18n keys used in the source', () => {
  const sources = import.meta.glob('../src/**/*.{vue,ts}', { query: '?raw', import: 'default', eager: true }) as Record<
    string,
    string
  >
  const zh = flatten(zhCN as unknown as Tree)
  const has = (key: string) => zh.has(key.split('.').join('/')) || [...zh.keys()].some((k) => k.startsWith(`${key.split('.').join('/')}/`))

  it('every literal t()/te() key exists in zh-CN', () => {
    const missing: string[] = []
    let count = 0
    for (const [file, text] of Object.entries(sources)) {
      for (const m of text.matchAll(/\bte?\(\s*'([A-Za-z][\w.]*)'/g)) {
        count += 1
        if (!has(m[1]!)) missing.push(`${file}: ${m[1]}`)
      }
    }
    expect(count).toBeGreaterThan(50)
    expect(missing).toEqual([])
  })
})
