import { monitorEventLoopDelay } from 'node:perf_hooks'

/**
 * Whether callbacks are arriving while this process's event loop is congested. Acking
 * callbacks must stay fast while handling them may wait, so workers step aside then; with
 * no callbacks arriving they run flat out, however busy their own work makes the loop.
 */
export function watchAckPressure({ thresholdMs = 10, windowMs = 500 } = {}) {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let recentP99Ms = 0
  let lastCallbackAt = 0
  const window = setInterval(() => {
    recentP99Ms = histogram.percentile(99) / 1e6
    histogram.reset()
  }, windowMs)
  window.unref()
  const underPressure = () => recentP99Ms > thresholdMs && Date.now() - lastCallbackAt < windowMs * 2

  return {
    /** A callback was just journaled. */
    noteCallback(): void {
      lastCallbackAt = Date.now()
    },
    /** Waits while under pressure, at most `maxWaitMs`, so work still moves under constant load. */
    async yieldWhileBusy(maxWaitMs = 2_000): Promise<void> {
      const deadline = Date.now() + maxWaitMs
      while (underPressure() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, windowMs / 5))
    },
    stop(): void {
      clearInterval(window)
      histogram.disable()
    },
  }
}
