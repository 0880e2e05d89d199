/** Percentiles of a set of latencies, in milliseconds. */
export interface LatencySummary {
  count: number
  mean: number
  p50: number
  p95: number
  p99: number
  max: number
}

/**
 * Nearest-rank percentiles (no interpolation): the p99 is a latency some request really
 * had, and at 10,000 samples the 100 slowest are exactly the ones above it. NaN (a request
 * without an answer) is left out: failures are counted apart.
 */
export function summarizeLatencies(valuesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(valuesMs)
    .filter((ms) => !Number.isNaN(ms))
    .sort()
  const count = sorted.length
  if (count === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN }
  const at = (percentile: number) => sorted[Math.min(count - 1, Math.ceil((percentile / 100) * count) - 1)]!
  let total = 0
  for (const value of sorted) total += value
  return { count, mean: total / count, p50: at(50), p95: at(95), p99: at(99), max: sorted[count - 1]! }
}

/**
 * The summary of each consecutive slice of `perSlice` requests (one second of sends at a
 * fixed rate): whether latency climbs through a run (the server falls behind) or falls
 * (it was still warming up).
 */
export function latencyTimeline(valuesMs: Float64Array, perSlice: number): LatencySummary[] {
  const slices: LatencySummary[] = []
  for (let start = 0; start < valuesMs.length; start += perSlice) slices.push(summarizeLatencies(valuesMs.subarray(start, start + perSlice)))
  return slices
}
