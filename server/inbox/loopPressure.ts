import { monitorEventLoopDelay } from 'node:perf_hooks'

/**
 * How busy this process's event loop has been lately. Acking callbacks must stay fast
 * while handling them may wait, so workers step aside when the loop is under pressure.
 */
export function watchLoopPressure({ thresholdMs = 10, windowMs = 500 } = {}) {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let recentP99Ms = 0
  const window = setInterval(() => {
    recentP99Ms = histogram.percentile(99) / 1e6
    histogram.reset()
  }, windowMs)
  window.unref()

  return {
    /** Waits while the loop is congested, at most `maxWaitMs`, so work still moves under constant load. */
    async yieldWhileBusy(maxWaitMs = 2_000): Promise<void> {
      const deadline = Date.now() + maxWaitMs
      while (recentP99Ms > thresholdMs && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, windowMs / 5))
    },
    stop(): void {
      clearInterval(window)
      histogram.disable()
    },
  }
}
