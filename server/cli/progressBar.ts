/** A one-line progress bar on a TTY; on a pipe or in CI, one line per stage instead. */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr) {
  let lastStage = ''
  return {
    update(label: string, done: number, total: number): void {
      if (!stream.isTTY) {
        if (label !== lastStage) stream.write(`${label}…\n`)
        lastStage = label
        return
      }
      const width = 30
      const ratio = total > 0 ? Math.min(1, done / total) : 0
      const filled = Math.round(ratio * width)
      stream.write(`\r${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} `)
      if (done >= total) stream.write('\n')
      lastStage = label
    },
  }
}
