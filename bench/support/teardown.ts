/**
 * Cleanup steps of a benchmark run (processes, servers, databases), run in reverse order
 * of creation: on success, on failure, and when the run is interrupted with Ctrl-C.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = []

  /** Registers a step right after the thing it cleans up was created. */
  defer(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run })
  }

  /** Runs every step once, newest first; a failing step is reported and does not stop the others. */
  async run(report: (line: string) => void): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.run()
      } catch (error) {
        report(`cleanup "${step.name}" failed: ${(error as Error).message}`)
      }
    }
  }
}
