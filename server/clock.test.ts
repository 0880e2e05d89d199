import { describe, expect, it } from 'vitest'
import { virtualClock } from '../test/clock'
import { callPacer } from './clock'

describe('the call pacer', () => {
  it('admits at most the limit in any window, in order, even when asked at once', async () => {
    const clock = virtualClock(0)
    const pace = callPacer(3, 60_000, clock)
    const admitted: number[] = []
    await Promise.all(Array.from({ length: 7 }, () => pace().then(() => admitted.push(clock.now()))))
    expect(admitted).toEqual([0, 0, 0, 60_000, 60_000, 60_000, 120_000])
  })
})
