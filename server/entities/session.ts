import { Column, Entity, PrimaryColumn } from 'typeorm'

/** A member signed in to the sidebar; the cookie holds a token whose sha256 is the key. */
@Entity('sessions')
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 64 }) tokenHash!: string
  @Column({ type: 'integer' }) memberId!: number
  /** Sent back in X-CSRF-Token by every state-changing request. */
  @Column({ type: 'varchar', length: 64 }) csrfToken!: string
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  @Column({ type: 'datetime', precision: 3 }) lastSeenAt!: Date
  /** The absolute end, whatever the activity. */
  @Column({ type: 'datetime', precision: 3 }) expiresAt!: Date
}
