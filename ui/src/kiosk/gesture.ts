// The admin exit gesture: a number of taps in quick succession on one small spot. A resident tapping about
// the screen does not hit the same hidden corner five times within three seconds; staff who know do.

export const GESTURE_TAPS = 5
export const GESTURE_WINDOW_MS = 3000
/** The PIN pad closes itself after this long without a key pressed on it. */
export const PAD_TIMEOUT_MS = 30_000

/** Counts taps; `tap()` answers true on the tap that completes the gesture (and starts counting afresh). */
export function createTapCounter(
  taps = GESTURE_TAPS,
  windowMs = GESTURE_WINDOW_MS,
  now: () => number = () => performance.now(),
): { tap(): boolean; reset(): void } {
  let times: number[] = []
  return {
    tap() {
      const t = now()
      times = times.filter((at) => t - at < windowMs)
      times.push(t)
      if (times.length >= taps) {
        times = []
        return true
      }
      return false
    },
    reset() {
      times = []
    },
  }
}
