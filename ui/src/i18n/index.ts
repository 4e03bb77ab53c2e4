import { createI18n, useI18n } from 'vue-i18n'
import { toBackendError } from '../backend/errors'
import type { RunMode } from '../backend/types'
import en from './en'
import zhCN, { type MessageSchema } from './zh-CN'

export type { MessageSchema }

export const FALLBACK_LOCALE = 'zh-CN'

/** Locales the UI has strings for. Others named by a profile (e.g. 'ug') fall back to zh-CN strings. */
export const MESSAGES: Record<string, MessageSchema> = {
  'zh-CN': zhCN,
  en,
}

const RTL_LANGUAGES = new Set(['ug', 'ar', 'fa', 'he', 'ur'])

/** Names of languages in their own script, for the switcher (a resident looks for their own language's name). */
const ENDONYMS: Record<string, string> = {
  'zh-CN': '中文',
  'zh': '中文',
  en: 'English',
  ug: 'ئۇيغۇرچە',
  bo: 'བོད་ཡིག',
  mn: 'Монгол',
  kk: 'Қазақша',
}

export function createAppI18n(locale: string = FALLBACK_LOCALE) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: FALLBACK_LOCALE,
    messages: MESSAGES,
    // Locales without their own strings (ug for now) fall back quietly; missing keys are caught by tests instead.
    missingWarn: false,
    fallbackWarn: false,
  })
}

export type AppI18n = ReturnType<typeof createAppI18n>

export function isRtl(locale: string): boolean {
  return RTL_LANGUAGES.has(locale.split('-')[0] ?? locale)
}

export function languageName(locale: string): string {
  const own = ENDONYMS[locale] ?? ENDONYMS[locale.split('-')[0] ?? '']
  if (own) return own
  try {
    return new Intl.DisplayNames([locale], { type: 'language' }).of(locale) ?? locale
  } catch {
    return locale
  }
}

/** Switch the UI language and tell the document, so screen readers and text direction follow. */
export function applyLocale(current: { value: string }, locale: string): void {
  current.value = locale
  if (typeof document !== 'undefined') {
    document.documentElement.lang = locale
    document.documentElement.dir = isRtl(locale) ? 'rtl' : 'ltr'
  }
}

const MODE_KEYS: Record<RunMode, keyof MessageSchema['modes']> = {
  'self-service': 'selfService',
  'queue-ticket': 'queueTicket',
  'call-screen': 'callScreen',
  window: 'window',
  field: 'field',
  office: 'office',
  background: 'background',
  admin: 'admin',
}

/** i18n key of a run mode's title. */
export function modeTitleKey(mode: RunMode): string {
  return `modes.${MODE_KEYS[mode]}`
}

/**
 * The text of a dotted backend `code` in a catalogue section keyed by whole codes (`errors`, `syncList.reasons`),
 * in `locale` or else zh-CN; null when neither has it. Codes are looked up as one key, not as a path.
 */
export function translateCode(
  getMessages: (locale: string) => unknown,
  locale: string,
  section: readonly string[],
  code: string,
): string | null {
  for (const loc of [locale, FALLBACK_LOCALE]) {
    let node: unknown = getMessages(loc)
    for (const key of section) node = (node as Record<string, unknown> | undefined)?.[key]
    const text = (node as Record<string, unknown> | undefined)?.[code]
    if (typeof text === 'string') return text
  }
  return null
}

/** Translate a backend error by its `code`; fall back to the backend's own message. */
export function translateError(
  getMessages: (locale: string) => unknown,
  locale: string,
  err: unknown,
): string {
  const e = toBackendError(err)
  return translateCode(getMessages, locale, ['errors'], e.code) ?? (e.message || e.code)
}

/** `errorText(err)`: the error in the current language. */
export function useErrorText(): (err: unknown) => string {
  const { locale, getLocaleMessage } = useI18n()
  return (err) => translateError((l) => getLocaleMessage(l), locale.value, err)
}

/** `durationText(secs)`: "7 分 5 秒" / "7 min 5 s"; a dash when there is no figure yet (null). */
export function useDurationText(): (secs: number | null | undefined) => string {
  const { t } = useI18n()
  return (secs) => {
    if (secs === null || secs === undefined || !Number.isFinite(secs)) return t('kpi.none')
    const total = Math.max(0, Math.round(secs))
    const m = Math.floor(total / 60)
    const s = total % 60
    return m > 0 ? t('kpi.duration', { m, s }) : t('kpi.durationShort', { s })
  }
}

/** `goodRateText(pct)`: 好评率 as a whole percent ("67%"); a dash before anyone rated (null). */
export function useGoodRateText(): (pct: number | null | undefined) => string {
  const { t } = useI18n()
  return (pct) =>
    pct === null || pct === undefined || !Number.isFinite(pct) ? t('kpi.none') : t('kpi.percent', { n: Math.round(pct) })
}
