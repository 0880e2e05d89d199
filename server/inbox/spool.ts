import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * When the database cannot take a callback we already decrypted, the plaintext goes to a
 * local file (fsynced before we answer 200), and moves into the inbox when the database is
 * back. Each process writes its own files; a process drains its own, and those of processes
 * that are gone.
 */
export class InboxSpool {
  private file: FileHandle | null = null
  private fileSequence = 0

  constructor(
    private readonly dir: string,
    private readonly pid = process.pid,
  ) {}

  async append(plaintext: string, receivedAt = new Date()): Promise<void> {
    if (!this.file) {
      mkdirSync(this.dir, { recursive: true })
      this.file = await open(join(this.dir, `${this.pid}-${Date.now()}-${this.fileSequence++}.ndjson`), 'a')
    }
    await this.file.appendFile(`${JSON.stringify({ plaintext, receivedAt: receivedAt.toISOString() })}\n`)
    await this.file.datasync()
  }

  /** Spooled entries waiting, in files this process may drain. */
  pendingFiles(): string[] {
    let names: string[]
    try {
      names = readdirSync(this.dir)
    } catch {
      return []
    }
    return names.filter((name) => name.endsWith('.ndjson') && this.mayDrain(Number(name.split('-')[0]))).map((name) => join(this.dir, name))
  }

  /**
   * Moves every drainable entry into the inbox through `journal` (which ignores
   * duplicates, so a crash mid-way re-journals harmlessly). Stops at the first failure.
   */
  async drain(journal: (plaintext: string, receivedAt: Date) => Promise<unknown>): Promise<number> {
    if (this.file) {
      // New callbacks go to a new file while this one is drained.
      await this.file.close()
      this.file = null
    }
    let moved = 0
    for (const path of this.pendingFiles()) {
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean)
      for (const line of lines) {
        const entry = parseLine(line)
        // A line cut short by a crash was never fsynced, so never acknowledged: skip it.
        if (!entry) continue
        await journal(entry.plaintext, new Date(entry.receivedAt))
        moved++
      }
      unlinkSync(path)
    }
    return moved
  }

  private mayDrain(pid: number): boolean {
    if (pid === this.pid) return true
    try {
      process.kill(pid, 0)
      return false
    } catch {
      return true
    }
  }
}

function parseLine(line: string): { plaintext: string; receivedAt: string } | null {
  try {
    return JSON.parse(line) as { plaintext: string; receivedAt: string }
  } catch {
    return null
  }
}
