import type { Clock } from '../server/clock'

/** A clock that jumps instead of waiting: minutes of pacing and back-off pass at once. */
export function virtualClock(start = Date.now()): Clock & { slept: number[] } {
  let now = start
  const slept: number[] = []
  return {
    now: () => now,
    slept,
    async sleep(ms) {
      slept.push(ms)
      now += Math.max(0, ms)
    },
  }
}
