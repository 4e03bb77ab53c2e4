// Reload a fleet panel every few seconds while it is on screen: the component is mounted only while its tab is
// open, and a hidden page (another window in front, screen off) skips the rounds until it is visible again.

import { onScopeDispose } from 'vue'

export const FLEET_REFRESH_MS = 5000

export function usePolling(load: () => Promise<void>, intervalMs = FLEET_REFRESH_MS): void {
  let busy = false
  const round = async (): Promise<void> => {
    if (busy) return
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
    busy = true
    try {
      await load()
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void round(), intervalMs)
  const onVisible = (): void => {
    if (document.visibilityState === 'visible') void round()
  }
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisible)
  onScopeDispose(() => {
    clearInterval(timer)
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
  })
  void round()
}

/** "3 分钟前" / "3 minutes ago" for an RFC 3339 time, relative to `nowMs`. */
export function relativeTime(iso: string, nowMs: number, locale: string): string {
  const at = new Date(iso).getTime()
  if (Number.isNaN(at)) return iso
  const secs = Math.round((at - nowMs) / 1000)
  const abs = Math.abs(secs)
  const [value, unit]: [number, Intl.RelativeTimeFormatUnit] =
    abs < 60
      ? [secs, 'second']
      : abs < 3600
        ? [Math.round(secs / 60), 'minute']
        : abs < 86_400
          ? [Math.round(secs / 3600), 'hour']
          : [Math.round(secs / 86_400), 'day']
  try {
    return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(value, unit)
  } catch {
    return new Intl.RelativeTimeFormat('zh-CN', { numeric: 'auto' }).format(value, unit)
  }
}
