import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'

/** An access token or JS-SDK ticket, shared by every process; never leaves the server. */
@Entity('wecom_credentials')
export class WecomCredential {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  /** 'access_token', 'jsapi_ticket' or 'agent_ticket'. */
  @Column({ type: 'varchar', length: 32 }) kind!: string
  /** Whose credential: '<corpId>:<agentId>'. */
  @Column({ type: 'varchar', length: 128 }) scope!: string
  @Column({ type: 'varchar', length: 1024 }) value!: string
  @Column({ type: 'datetime', precision: 3 }) expiresAt!: Date
  /** While set and in the future, one process is fetching a new value; the others wait. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) leaseUntil!: Date | null
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}
