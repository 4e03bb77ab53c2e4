import { onScopeDispose, unref, type MaybeRef } from 'vue'

const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'touchstart', 'wheel', 'input'] as const

/**
 * Call `onIdle` after `timeoutSecs` without any touch, key or pointer input, then wait for input again.
 * A kiosk uses it to wipe a resident's session (typed text, personal data on screen). 0 or less disables it.
 */
export function useIdleReset(
  timeoutSecs: MaybeRef<number>,
  onIdle: () => void,
  target: EventTarget = window,
): { poke: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null

  function arm(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
    const secs = unref(timeoutSecs)
    if (!(secs > 0)) return
    timer = setTimeout(() => {
      timer = null
      onIdle()
    }, secs * 1000)
  }

  const onActivity = () => arm()
  for (const type of ACTIVITY_EVENTS) target.addEventListener(type, onActivity, { capture: true, passive: true })
  arm()

  onScopeDispose(() => {
    if (timer !== null) clearTimeout(timer)
    for (const type of ACTIVITY_EVENTS) target.removeEventListener(type, onActivity, { capture: true })
  })
  return { poke: arm }
}
