import { onScopeDispose, ref, unref, type MaybeRef, type Ref } from 'vue'

/**
 * The current time as a ref that ticks once a second, on the second. `offsetMs` shifts it to the backend's clock
 * (a TV browser on the LAN may have a wrong clock; the terminal's is what the hall goes by).
 */
export function useClock(offsetMs: MaybeRef<number> = 0, tickMs = 1000): Ref<Date> {
  const read = () => new Date(Date.now() + unref(offsetMs))
  const now = ref(read())
  let interval: ReturnType<typeof setInterval> | null = null
  const align = setTimeout(() => {
    now.value = read()
    interval = setInterval(() => {
      now.value = read()
    }, tickMs)
  }, tickMs - (Date.now() % tickMs))
  onScopeDispose(() => {
    clearTimeout(align)
    if (interval !== null) clearInterval(interval)
  })
  return now
}
