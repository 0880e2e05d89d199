import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'

export const SYNC_RUN_STATUSES = ['running', 'done', 'failed'] as const
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number]
export type SyncRunOrigin = 'console' | 'cli' | 'reconcile'

/** One full sync (server/sync/syncRuns.ts): who started it, how far it got, what it changed. */
@Entity('sync_runs')
export class SyncRun {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  /** Where it was started: 'console' (立即同步), 'cli' (npm run sync) or 'reconcile' (the nightly job). */
  @Column({ type: 'varchar', length: 16 }) origin!: SyncRunOrigin
  @Column({ type: 'integer', nullable: true }) actorMemberId!: number | null
  @Column({ type: 'varchar', length: 16 }) status!: SyncRunStatus
  /** 'full-sync' while running, null after: the unique key lets one sync run at a time, across processes. */
  @Column({ type: 'varchar', length: 16, nullable: true }) runningKey!: string | null
  /** host:pid:namespace:nonce of the process running it. */
  @Column({ type: 'varchar', length: 128 }) claimedBy!: string
  @Column({ type: 'datetime', precision: 3 }) startedAt!: Date
  @Column({ type: 'datetime', precision: 3, nullable: true }) finishedAt!: Date | null
  /** While running: the claim holds until then, renewed as the sync works; a lapsed one is taken over. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) leaseUntil!: Date | null
  /** JSON: the latest progress per stage ({ members: { done, total }, … }). */
  @Column({ type: 'text' }) progress!: string
  /** JSON: the sync's summary once done (members, tags, customers, follows, resumed, seconds). */
  @Column({ type: 'text', nullable: true }) summary!: string | null
  @Column({ type: 'text', nullable: true }) error!: string | null
}
