// Dates, times and localised names, always through Intl in the UI's current locale.

import type { LocalizedName } from '../backend/types'

function toDate(value: string | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? null : d
}

function format(value: string | Date, locale: string, options: Intl.DateTimeFormatOptions): string {
  const d = toDate(value)
  if (!d) return typeof value === 'string' ? value : ''
  try {
    return new Intl.DateTimeFormat(locale, options).format(d)
  } catch {
    // A locale this runtime's ICU does not know: still show a readable time.
    return new Intl.DateTimeFormat('zh-CN', options).format(d)
  }
}

export function formatTime(value: string | Date, locale: string, seconds = false): string {
  return format(value, locale, {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  })
}

export function formatDate(value: string | Date, locale: string): string {
  return format(value, locale, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' })
}

export function formatDateTime(value: string | Date, locale: string): string {
  return format(value, locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
}

/** The name in `locale`, else in its language ("en" for "en-GB"), else zh-CN, else any. */
export function localName(name: LocalizedName | undefined | null, locale: string): string {
  if (!name) return ''
  const lang = locale.split('-')[0] ?? locale
  return (
    name[locale] ??
    name[lang] ??
    Object.entries(name).find(([k]) => k.split('-')[0] === lang)?.[1] ??
    name['zh-CN'] ??
    Object.values(name)[0] ??
    ''
  )
}
