/** Time, injectable: pacing and back-off are tested without waiting minutes. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

/**
 * Admits at most `limit` calls in any `windowMs` of `clock`, in the order asked: a call
 * waits until the one `limit` places before it started a whole window ago. WeCom's limits
 * are per minute (robots: 20; an API: 10,000 per corp).
 */
export function callPacer(limit: number, windowMs: number, clock: Clock): () => Promise<void> {
  const starts: number[] = []
  let admitted = Promise.resolve()
  return () => {
    admitted = admitted.then(async () => {
      if (starts.length === limit) {
        const wait = starts.shift()! + windowMs - clock.now()
        if (wait > 0) await clock.sleep(wait)
      }
      starts.push(clock.now())
    })
    return admitted
  }
}
