/** A fault to inject into API answers. */
export interface FaultRule {
  /** The API path without basePath, e.g. '/cgi-bin/externalcontact/mark_tag', or '*' for every API. */
  path: string
  /** Answer with this errcode instead of handling the call; -1 is WeCom's "system busy". */
  errcode?: number
  /** Delay the answer by this many ms. */
  latencyMs?: number
  /** Never answer nor handle the call (it is still in `calls`): a WeCom that went silent, or a caller that died waiting. */
  hang?: boolean
  /** How many calls the rule affects; forever when absent. */
  times?: number
}

/** What to do to one call before it is handled. */
export interface FaultDecision {
  latencyMs: number
  hang?: boolean
  errcode?: number
}

/** Injected faults and the global latency, applied to every API call before normal handling. */
export class Faults {
  /** Added to every API answer (the benchmark sets 2000). */
  latencyMs = 0
  private rules: { rule: FaultRule; remaining: number }[] = []

  inject(rule: FaultRule): void {
    this.rules.push({ rule: { ...rule }, remaining: rule.times ?? Infinity })
  }

  clear(): void {
    this.rules = []
  }

  /**
   * Every matching rule adds its latency and uses up one of its `times`; the first one with
   * an errcode decides the answer.
   */
  take(path: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: this.latencyMs }
    for (const entry of this.rules) {
      if (entry.rule.path !== '*' && entry.rule.path !== path) continue
      entry.remaining -= 1
      decision.latencyMs += entry.rule.latencyMs ?? 0
      if (entry.rule.hang) decision.hang = true
      if (decision.errcode === undefined && entry.rule.errcode !== undefined) decision.errcode = entry.rule.errcode
    }
    this.rules = this.rules.filter((entry) => entry.remaining > 0)
    return decision
  }
}
