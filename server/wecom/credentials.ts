import type { DataSource } from 'typeorm'
import { WecomCredential } from '../entities'

export type CredentialKind = 'access_token' | 'jsapi_ticket' | 'agent_ticket'

export interface FetchedCredential {
  value: string
  /** Seconds, as WeCom's `expires_in`. */
  expiresIn: number
}

export interface CredentialStoreOptions {
  /** Whose credentials these are: '<corpId>:<agentId>'. */
  scope: string
  /** Refresh this long before WeCom's expiry, so no call carries a token about to lapse. */
  refreshMarginMs?: number
  /** How long one process may hold the refresh lease before others take over. */
  leaseMs?: number
  pollMs?: number
  now?: () => number
}

const EXPIRED = new Date(0)

/**
 * Access token and JS-SDK tickets, cached in the database and shared by every process.
 * One fetch at a time across all processes: in this process by sharing the promise, across
 * processes by a lease on the credential's row; the others wait for the new value.
 * Each process also keeps the last value it saw until its refresh margin: a sync makes
 * hundreds of calls a second and each would otherwise read the row. A value another process
 * replaced stays usable (WeCom keeps a token valid until it expires); one WeCom rejects is
 * invalidated here and refreshed by the client's retry.
 */
export class CredentialStore {
  private readonly inFlight = new Map<CredentialKind, Promise<string>>()
  private readonly known = new Map<CredentialKind, { value: string; expiresAt: Date }>()
  private readonly refreshMarginMs: number
  private readonly leaseMs: number
  private readonly pollMs: number
  private readonly now: () => number

  constructor(
    private readonly dataSource: DataSource,
    private readonly fetchers: Record<CredentialKind, () => Promise<FetchedCredential>>,
    private readonly options: CredentialStoreOptions,
  ) {
    this.refreshMarginMs = options.refreshMarginMs ?? 5 * 60_000
    this.leaseMs = options.leaseMs ?? 15_000
    this.pollMs = options.pollMs ?? 50
    this.now = options.now ?? Date.now
  }

  /** A value valid for at least the refresh margin. */
  get(kind: CredentialKind): Promise<string> {
    const known = this.known.get(kind)
    if (known && this.isFresh(known)) return Promise.resolve(known.value)
    let pending = this.inFlight.get(kind)
    if (!pending) {
      pending = this.obtain(kind).finally(() => this.inFlight.delete(kind))
      this.inFlight.set(kind, pending)
    }
    return pending
  }

  /** WeCom rejected `value`: forget it, unless another caller already replaced it. */
  async invalidate(kind: CredentialKind, value: string): Promise<void> {
    if (this.known.get(kind)?.value === value) this.known.delete(kind)
    await this.repository()
      .createQueryBuilder()
      .update()
      .set({ expiresAt: EXPIRED })
      .where('kind = :kind AND scope = :scope AND value = :value', { kind, scope: this.options.scope, value })
      .execute()
  }

  private repository() {
    return this.dataSource.getRepository(WecomCredential)
  }

  private async read(kind: CredentialKind): Promise<WecomCredential | null> {
    return this.repository().findOneBy({ kind, scope: this.options.scope })
  }

  private isFresh<T extends { value: string; expiresAt: Date }>(row: T | null): row is T {
    return row !== null && row.value !== '' && row.expiresAt.getTime() - this.refreshMarginMs > this.now()
  }

  private remember(kind: CredentialKind, value: string, expiresAt: Date): string {
    this.known.set(kind, { value, expiresAt })
    return value
  }

  private async obtain(kind: CredentialKind): Promise<string> {
    const deadline = this.now() + this.leaseMs * 2
    for (;;) {
      const row = await this.read(kind)
      if (this.isFresh(row)) return this.remember(kind, row.value, row.expiresAt)
      if (await this.takeLease(kind)) return this.refresh(kind)
      if (this.now() > deadline) throw new Error(`timed out waiting for another process to refresh the ${kind}`)
      await new Promise((resolve) => setTimeout(resolve, this.pollMs))
    }
  }

  /** True when this process won the right to fetch; the row is created on first use. */
  private async takeLease(kind: CredentialKind): Promise<boolean> {
    const now = new Date(this.now())
    await this.repository()
      .createQueryBuilder()
      .insert()
      .updateEntity(false)
      .values({ kind, scope: this.options.scope, value: '', expiresAt: EXPIRED, leaseUntil: null, updatedAt: now })
      .orIgnore()
      .execute()
    const taken = await this.repository()
      .createQueryBuilder()
      .update()
      .set({ leaseUntil: new Date(this.now() + this.leaseMs) })
      .where('kind = :kind AND scope = :scope', { kind, scope: this.options.scope })
      .andWhere('(lease_until IS NULL OR lease_until < :now)', { now })
      .execute()
    return taken.affected === 1
  }

  private async refresh(kind: CredentialKind): Promise<string> {
    try {
      const fetched = await this.fetchers[kind]()
      const expiresAt = new Date(this.now() + fetched.expiresIn * 1000)
      await this.repository().update({ kind, scope: this.options.scope }, { value: fetched.value, expiresAt, leaseUntil: null, updatedAt: new Date(this.now()) })
      return this.remember(kind, fetched.value, expiresAt)
    } catch (error) {
      // Let the next caller try at once rather than after the lease runs out.
      await this.repository().update({ kind, scope: this.options.scope }, { leaseUntil: null })
      throw error
    }
  }
}
